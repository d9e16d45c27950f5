import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the README example runs and prints its narrative', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'logs.ts')],
    { timeout: 60_000 },
  );
  expect(stdout.split('\n').filter(Boolean)).toEqual([
    '0 line 0',
    '1 line 1',
    '2 line 2',
    '{ bytes: 1024 }',
    '[ops] hello',
  ]);
});
