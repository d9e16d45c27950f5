import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the README example runs and prints its narrative', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'greeter.ts')],
    { timeout: 60_000 },
  );
  expect(stdout).toMatch(/server listening on tcp:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toContain("trailers: { 'x-served-by': 'example' }");
  expect(stdout).toContain('hi ada');
  expect(stdout).toContain('refused: name is empty');
});
