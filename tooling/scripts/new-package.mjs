#!/usr/bin/env node
// Scaffolds packages/<name> with the anatomy every xSMB package shares.
// Usage: node tooling/scripts/new-package.mjs <name> "<description>" [dep ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description = '', ...deps] = process.argv.slice(2);
if (!name) {
  console.error('usage: new-package.mjs <name> "<description>" [workspace-dep ...]');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`${dir} exists`);
  process.exit(2);
}
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const pkg = {
  name: `@xsmb/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/*.test-d.ts', 'README.md', 'CHANGELOG.md'],
  engines: { node: '>=20.10' },
  scripts: {
    build: 'tsc -b',
    typecheck: 'tsc -p tsconfig.check.json',
    lint: 'biome check .',
    test: 'vitest run',
  },
  dependencies: Object.fromEntries(deps.map((d) => [`@xsmb/${d}`, 'workspace:^'])),
  devDependencies: {
    '@xsmb/tsconfig': 'workspace:*',
    '@xsmb/vitest-config': 'workspace:*',
  },
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify(
    {
      extends: '@xsmb/tsconfig/base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
      include: ['src'],
      exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts'],
      references: deps.map((d) => ({ path: `../${d}` })),
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(dir, 'tsconfig.check.json'),
  `${JSON.stringify(
    {
      extends: '@xsmb/tsconfig/check.json',
      include: ['src', 'test', 'bench', 'examples', 'vitest.config.ts'],
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(dir, 'vitest.config.ts'),
  "import { definePackageConfig } from '@xsmb/vitest-config';\n\nexport default definePackageConfig();\n",
);
writeFileSync(
  join(dir, 'src', 'index.ts'),
  `/** @packageDocumentation ${description} */\nexport {};\n`,
);
console.log(`created ${dir}`);
