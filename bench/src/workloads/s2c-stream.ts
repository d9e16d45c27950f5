/**
 * s2c-stream: the server streams M messages (~192 B each) to the client as
 * fast as the subject's flow control lets it; the client checks every
 * message. Messages per second and CPU per message.
 */
import { withTimeout } from '../harness/time.js';
import { diffMessage } from '../payload.js';
import type { ServerStreamClient } from '../types.js';
import { cpuMetric, rateMetric, rpcServerHalf } from './common.js';
import { param, type Workload } from './workload.js';

/**
 * Runs one checked server stream of `count` messages; resolves when all
 * arrived in order with the right content, rejects otherwise or at `timeoutMs`.
 */
export async function checkedServerStream(
  client: ServerStreamClient,
  count: number,
  timeoutMs: number,
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
  await withTimeout(stream, timeoutMs, `server stream (${received} of ${count} received)`);
  if (firstError !== null) throw new Error(firstError);
  if (received !== count) throw new Error(`server stream ended after ${received} of ${count}`);
}

/** The s2c-stream workload. */
export const s2cStream: Workload<'s2c-stream'> = {
  name: 's2c-stream',
  description: 'server streams M messages of 192 B; msg/s',
  params: (mode) =>
    mode === 'quick'
      ? { warmupCount: 3000, count: 40_000, maxMs: 10_000 }
      : { warmupCount: 20_000, count: 300_000, maxMs: 30_000 },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 10_000,
  metrics: [rateMetric('msg/s'), cpuMetric('msg')],
  server: rpcServerHalf,
  async client(impl, endpoint, p, control) {
    const client = await impl.connect(endpoint, { maxInFlight: 1 });
    try {
      const maxMs = param(p, 'maxMs');
      await checkedServerStream(client, param(p, 'warmupCount'), maxMs);
      await control.startMeasuring();
      const count = param(p, 'count');
      await checkedServerStream(client, count, maxMs);
      control.stopMeasuring();
      return { ops: count, values: {} };
    } finally {
      await client.close();
    }
  },
};
