#!/usr/bin/env node
// `pnpm bench`: builds everything, then runs every benchmark one after the
// other (never two at once: they would measure each other): each package's
// own benchmark, then the side-by-side comparison with the peers (bench/).
// Flags: --quick (only the side-by-side comparison, in its short mode: under
// a minute), --json <file> (the side-by-side results as JSON), --pin (the
// side-by-side comparison with every process on CPU 0), --only <name,...>
// (any of codec, transport, pubsub, tracing, bench).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
  },
  strict: true,
});
const root = resolve(import.meta.dirname, '../..');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const quick = values.quick ? ['--quick'] : [];

const runs = [
  { name: 'codec', filter: '@xsmb/codec', args: quick },
  { name: 'transport', filter: '@xsmb/transport', args: quick },
  { name: 'pubsub', filter: '@xsmb/pubsub', args: quick },
  { name: 'tracing', filter: '@xsmb/tracing', args: quick },
  {
    name: 'bench',
    filter: '@xsmb/bench',
    args: [
      ...quick,
      ...(values.pin ? ['--pin'] : []),
      ...(values.json ? ['--json', resolve(values.json)] : []),
    ],
  },
].filter((r) =>
  values.only ? values.only.split(',').includes(r.name) : !values.quick || r.name === 'bench',
);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  return r.status ?? 1;
}

console.log('bench: building');
if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0)
  process.exit(1);
let failed = 0;
for (const [i, r] of runs.entries()) {
  console.log(
    `\nbench: [${i + 1}/${runs.length}] ${r.filter}${r.args.length ? ` ${r.args.join(' ')}` : ''}`,
  );
  if (run('pnpm', ['--filter', r.filter, 'run', 'bench', ...r.args]) !== 0) {
    failed++;
    console.error(`bench: ${r.filter} failed`);
  }
}
process.exit(failed > 0 ? 1 : 0);
