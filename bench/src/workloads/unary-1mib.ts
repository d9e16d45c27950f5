/**
 * unary-1mib: 1 MiB echo calls, one in flight, after a warm-up: how fast a
 * subject moves large messages. MB/s is payload bytes moved per second in
 * each direction (1 MiB per call each way ÷ round-trip time), p50 of the
 * round trip, CPU per call of both processes.
 */
import { LatencyRecorder } from '../harness/latency.js';
import { checkLargeMessage, LARGE_BLOB_BYTES, makeLargeMessage } from '../payload.js';
import { cpuMetric, rpcServerHalf } from './common.js';
import { param, type Workload } from './workload.js';

/** The unary-1mib workload. */
export const unary1Mib: Workload<'unary-1mib'> = {
  name: 'unary-1mib',
  description: '1 MiB echo, 1 call in flight; MB/s each way and p50',
  params: (mode) =>
    mode === 'quick'
      ? { warmupCalls: 10, calls: 60, maxMs: 5000 }
      : { warmupCalls: 50, calls: 500, maxMs: 20_000 },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 15_000,
  metrics: [
    { key: 'mbPerSec', label: 'MB/s each way', better: 'higher', digits: 0 },
    { key: 'p50', label: 'p50 µs', better: 'lower', digits: 0 },
    cpuMetric('call'),
  ],
  server: rpcServerHalf,
  async client(impl, endpoint, p, control) {
    const client = await impl.connect(endpoint, { maxInFlight: 1 });
    try {
      const maxMs = param(p, 'maxMs');
      let n = 0;
      const warmEnd = performance.now() + maxMs / 2;
      for (let i = 0; i < param(p, 'warmupCalls') && performance.now() < warmEnd; i++, n++) {
        checkLargeMessage(await client.unary(makeLargeMessage(n)), n);
      }
      const calls = param(p, 'calls');
      const recorder = new LatencyRecorder(calls);
      await control.startMeasuring();
      const t0 = performance.now();
      const end = Math.min(t0 + maxMs, control.deadline);
      let done = 0;
      for (; done < calls && performance.now() < end; done++, n++) {
        const request = makeLargeMessage(n);
        const t = performance.now();
        const reply = await client.unary(request);
        recorder.record((performance.now() - t) * 1000);
        checkLargeMessage(reply, n);
      }
      const elapsedMs = performance.now() - t0;
      control.stopMeasuring();
      const s = recorder.summary();
      return {
        ops: done,
        values: {
          // MB = 10^6 bytes; the blob dominates (the id and framing are a few bytes).
          mbPerSec: (done * LARGE_BLOB_BYTES) / 1e6 / (elapsedMs / 1000),
          p50: s.p50,
          p99: s.p99,
          max: s.max,
        },
      };
    } finally {
      await client.close();
    }
  },
};
