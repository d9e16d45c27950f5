#!/usr/bin/env node
// Proves that every publishable package works from its packed tarball alone:
// `pnpm pack` each package (workspace:^ ranges become real versions), then in
// a scratch npm project outside the workspace install the tarball together
// with the tarballs of its @xsmb dependencies only, and import it.
// Usage: node tooling/scripts/pack-check.mjs [package-dir-name ...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const only = process.argv.slice(2);
const packagesDir = join(root, 'packages');

/** @type {Map<string, { dir: string, manifest: any }>} */
const packages = new Map();
for (const name of readdirSync(packagesDir)) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  packages.set(manifest.name, { dir: join(packagesDir, name), manifest });
}

function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const pkg = packages.get(name);
  for (const dep of Object.keys(pkg?.manifest.dependencies ?? {})) {
    if (packages.has(dep)) closure(dep, seen);
  }
  return seen;
}

const work = mkdtempSync(join(tmpdir(), 'xsmb-pack-'));
const tarballs = new Map();
let failed = 0;
try {
  for (const [name, { dir }] of packages) {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', work], {
      cwd: dir,
      encoding: 'utf8',
    });
    const file = out.trim().split('\n').pop().trim();
    tarballs.set(name, file.startsWith('/') ? file : join(work, file));
  }
  for (const [name, { dir }] of packages) {
    if (only.length > 0 && !only.some((o) => dir.endsWith(`/${o}`))) continue;
    const scratch = mkdtempSync(join(work, 'project-'));
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }),
    );
    const deps = [...closure(name)].map((n) => tarballs.get(n));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...deps], {
      cwd: scratch,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const installed = readdirSync(join(scratch, 'node_modules', '@xsmb')).sort();
    const expected = [...closure(name)].map((n) => n.slice('@xsmb/'.length)).sort();
    const script = `const m = await import(${JSON.stringify(name)}); const keys = Object.keys(m); if (keys.length === 0) throw new Error('no exports'); console.log(keys.length);`;
    try {
      const count = execFileSync('node', ['--input-type=module', '-e', script], {
        cwd: scratch,
        encoding: 'utf8',
      }).trim();
      if (JSON.stringify(installed) !== JSON.stringify(expected)) {
        throw new Error(
          `installed @xsmb packages ${installed.join(',')} but expected ${expected.join(',')}`,
        );
      }
      console.log(
        `pack-check: ${name} installs from its tarball and imports (${count} exports; @xsmb deps: ${installed.join(', ')})`,
      );
    } catch (e) {
      failed++;
      console.error(`pack-check: ${name} FAILED: ${e.message}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failed > 0) process.exit(1);
