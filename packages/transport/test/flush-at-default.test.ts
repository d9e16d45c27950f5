/**
 * The default `burst.flushAt` follows the CPUs the process may run on:
 * early bursts (pipelining) on two or more, none on one, where they only
 * made the two processes ping-pong (see BurstOptions.flushAt).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const options = fileURLToPath(new URL('../dist/options.js', import.meta.url));
const script = `import(${JSON.stringify(options)}).then((m) => console.log(m.resolveOptions().burst.flushAt))`;

function flushAtWith(prefix: string[]): number {
  const [cmd, ...args] = [...prefix, process.execPath, '-e', script];
  return Number(execFileSync(cmd!, args, { encoding: 'utf8', timeout: 20_000 }).trim());
}

describe('burst.flushAt default', () => {
  it.skipIf(availableParallelism() < 2)('is 32 with several CPUs', () => {
    expect(flushAtWith([])).toBe(32);
  });

  it.skipIf(!existsSync('/usr/bin/taskset'))(
    'is burst.maxMessages on one CPU (taskset -c 0)',
    () => {
      expect(flushAtWith(['/usr/bin/taskset', '-c', '0'])).toBe(256);
    },
  );
});
