/**
 * What the workloads that move a fixed number of messages on one call
 * (s2c-stream, c2s-stream) share: parameters, rows, server half, and a client
 * half that runs a warm-up call, then the measured one.
 */
import type { Closable } from '../types.js';
import { cpuMetric, rateMetric } from './common-metrics.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { type ClientHalf, type Connector, oneCallClientHalf } from './with-client.js';
import { param, type Workload } from './workload.js';

/** Parameters, timeout, rows and server half of a counted-stream workload. */
export const COUNTED_STREAM = {
  params: {
    quick: { warmupCount: 3000, count: 40_000, maxMs: 10_000 },
    full: { warmupCount: 20_000, count: 300_000, maxMs: 30_000 },
  },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 10_000,
  metrics: [rateMetric('msg/s'), cpuMetric('msg')],
  server: rpcServerHalf,
} satisfies Pick<
  Workload<'s2c-stream' | 'c2s-stream'>,
  'params' | 'timeoutMs' | 'metrics' | 'server'
>;

/**
 * One checked call moving `count` messages; rejects unless all arrived right
 * by `endAt` (a `performance.now()` value).
 */
export type CountedTransfer<C> = (client: C, count: number, endAt: number) => Promise<void>;

/**
 * A client half that connects with one call in flight, runs `transfer` with
 * `warmupCount` messages, then measures one with `count`; each must end
 * within `maxMs` of its start, the measured one by the cell's deadline too.
 */
export function countedClientHalf<C extends Closable>(
  transfer: CountedTransfer<C>,
): ClientHalf<Connector<C>> {
  return oneCallClientHalf(async (client: C, p, control) => {
    const maxMs = param(p, 'maxMs');
    await transfer(client, param(p, 'warmupCount'), performance.now() + maxMs);
    await control.startMeasuring();
    const count = param(p, 'count');
    await transfer(client, count, Math.min(performance.now() + maxMs, control.deadline));
    control.stopMeasuring();
    return { ops: count, values: {} };
  });
}
