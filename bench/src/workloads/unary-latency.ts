/**
 * unary-latency: one call in flight, N calls after a warm-up; p50/p99 of the
 * round trip as the client sees it (encode, send, server echo, receive,
 * decode), and CPU per call of both processes.
 */
import { checkMessage, makeMessage } from '../payload.js';
import { cpuMetric, percentileMetric } from './common-metrics.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { type CallMessages, sequentialClientHalf } from './sequential-calls.js';
import { param, type Workload } from './workload.js';

const MESSAGES: CallMessages = { make: makeMessage, check: checkMessage };

/** The unary-latency workload. */
export const unaryLatency: Workload<'unary-latency'> = {
  name: 'unary-latency',
  description: '1 call in flight; round-trip p50/p99 after a warm-up',
  params: {
    quick: { warmupCalls: 300, calls: 2000, maxMs: 3000 },
    full: { warmupCalls: 2000, calls: 20_000, maxMs: 20_000 },
  },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 10_000,
  metrics: [percentileMetric('p50'), percentileMetric('p99'), cpuMetric('call')],
  server: rpcServerHalf,
  client: sequentialClientHalf(MESSAGES, ({ latency: s }) => ({
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    p999: s.p999,
    max: s.max,
    mean: s.mean,
  })),
};
