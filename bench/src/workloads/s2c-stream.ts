/**
 * s2c-stream: the server streams M messages (~192 B each) to the client as
 * fast as the subject's flow control lets it; the client checks every
 * message. Messages per second and CPU per message.
 */
import { checkedServerStream } from './checked-server-stream.js';
import { cpuMetric, rateMetric } from './common-metrics.js';
import { countedClientHalf } from './counted-client-half.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { param, type Workload } from './workload.js';

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
  client: countedClientHalf(checkedServerStream),
};
