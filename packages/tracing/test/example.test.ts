import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the README example runs and prints its spans', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'console.ts')],
    { timeout: 60_000 },
  );
  expect(stdout).toMatch(/server listening on tcp:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toContain('hi ada');
  expect(stdout).toContain('refused: name is empty');
  // Two calls, a client and a server span each.
  expect(stdout.match(/name: 'demo\.Greeter\/hello'/g)).toHaveLength(4);
  expect(stdout.match(/'rpc\.response\.status_code': 'OK'/g)).toHaveLength(2);
  expect(stdout.match(/'rpc\.response\.status_code': 'INVALID_ARGUMENT'/g)).toHaveLength(2);
  expect(stdout.match(/'server\.address': '127\.0\.0\.1'/g)).toHaveLength(4);
  // Only the client span of the failed call is an error (the caller's mistake, not the server's).
  expect(stdout.match(/code: 2,\s+message: '\[INVALID_ARGUMENT\] name is empty'/g)).toHaveLength(1);
});
