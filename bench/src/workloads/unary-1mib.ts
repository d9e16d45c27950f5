/**
 * unary-1mib: 1 MiB echo calls, one in flight, after a warm-up: how fast a
 * subject moves large messages. MB/s is payload bytes moved per second in
 * each direction (1 MiB per call each way ÷ round-trip time), p50 of the
 * round trip, CPU per call of both processes.
 */
import { checkLargeMessage, LARGE_BLOB_BYTES, makeLargeMessage } from '../payload.js';
import { cpuMetric, percentileMetric } from './common-metrics.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { type CallMessages, sequentialClientHalf } from './sequential-calls.js';
import { param, type Workload } from './workload.js';

const MESSAGES: CallMessages = { make: makeLargeMessage, check: checkLargeMessage };

/** The unary-1mib workload. */
export const unary1Mib: Workload<'unary-1mib'> = {
  name: 'unary-1mib',
  description: '1 MiB echo, 1 call in flight; MB/s each way and p50',
  params: {
    quick: { warmupCalls: 10, calls: 60, maxMs: 5000 },
    full: { warmupCalls: 50, calls: 500, maxMs: 20_000 },
  },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 15_000,
  metrics: [
    { key: 'mbPerSec', label: 'MB/s each way', better: 'higher', digits: 0 },
    percentileMetric('p50'),
    cpuMetric('call'),
  ],
  server: rpcServerHalf,
  client: sequentialClientHalf(MESSAGES, ({ done, elapsedMs, latency: s }) => ({
    // MB = 10^6 bytes; the blob dominates (the id and framing are a few bytes).
    mbPerSec: (done * LARGE_BLOB_BYTES) / 1e6 / (elapsedMs / 1000),
    p50: s.p50,
    p99: s.p99,
    max: s.max,
  })),
};
