/**
 * unary-latency: one call in flight, N calls after a warm-up; p50/p99 of the
 * round trip as the client sees it (encode, send, server echo, receive,
 * decode), and CPU per call of both processes.
 */
import { LatencyRecorder } from '../harness/latency.js';
import { checkMessage, makeMessage } from '../payload.js';
import { cpuMetric, rpcServerHalf } from './common.js';
import { param, type Workload } from './workload.js';

/** The unary-latency workload. */
export const unaryLatency: Workload<'unary-latency'> = {
  name: 'unary-latency',
  description: '1 call in flight; round-trip p50/p99 after a warm-up',
  params: (mode) =>
    mode === 'quick'
      ? { warmupCalls: 300, calls: 2000, maxMs: 3000 }
      : { warmupCalls: 2000, calls: 20_000, maxMs: 20_000 },
  timeoutMs: (p) => 2 * param(p, 'maxMs') + 10_000,
  metrics: [
    { key: 'p50', label: 'p50 µs', better: 'lower', digits: 0 },
    { key: 'p99', label: 'p99 µs', better: 'lower', digits: 0 },
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
        checkMessage(await client.unary(makeMessage(n)), n);
      }
      const calls = param(p, 'calls');
      const recorder = new LatencyRecorder(calls);
      await control.startMeasuring();
      const end = Math.min(performance.now() + maxMs, control.deadline);
      let done = 0;
      for (; done < calls && performance.now() < end; done++, n++) {
        const request = makeMessage(n);
        const t0 = performance.now();
        const reply = await client.unary(request);
        recorder.record((performance.now() - t0) * 1000);
        checkMessage(reply, n);
      }
      control.stopMeasuring();
      const s = recorder.summary();
      return {
        ops: done,
        values: { p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max, mean: s.mean },
      };
    } finally {
      await client.close();
    }
  },
};
