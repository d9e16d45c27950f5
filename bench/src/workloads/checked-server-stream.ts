/** The client side of one checked server stream, for s2c-stream and stream-memory. */
import { withTimeout } from '../harness/time.js';
import { diffMessage } from '../payload.js';
import type { ServerStreamClient } from '../types.js';

/**
 * Runs one checked server stream of `count` messages; resolves when all
 * arrived in order with the right content, rejects otherwise or at `endAt`
 * (a `performance.now()` value). With `pause`, the consumer sleeps `ms` after
 * every `every` messages (the slow consumer of stream-memory).
 */
export async function checkedServerStream(
  client: ServerStreamClient,
  count: number,
  endAt: number,
  pause?: { every: number; ms: number; sleep(ms: number): Promise<void> },
): Promise<void> {
  let received = 0;
  let firstError: string | null = null;
  const stream = client.serverStream(count, (message) => {
    // The callback must not throw into the subject's reader: record, go on.
    if (firstError === null) firstError = diffMessage(message, received);
    received++;
    if (pause && received % pause.every === 0) return pause.sleep(pause.ms);
    return undefined;
  });
  await withTimeout(
    stream,
    Math.max(1, endAt - performance.now()),
    `server stream (${received} of ${count} received)`,
  );
  if (firstError !== null) throw new Error(firstError);
  if (received !== count) throw new Error(`server stream ended after ${received} of ${count}`);
}
