/**
 * unary-throughput: a fixed number of calls in flight (64), each worker
 * issuing its next call as soon as the previous reply arrives, for a fixed
 * duration after a warm-up; calls per second, latency under load, CPU per call.
 */
import { LatencyRecorder } from '../harness/latency.js';
import { checkMessage, makeMessage } from '../payload.js';
import { cpuMetric, percentileMetric, rateMetric } from './common-metrics.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { withClient } from './with-client.js';
import { param, type Workload } from './workload.js';

/** The unary-throughput workload. */
export const unaryThroughput: Workload<'unary-throughput'> = {
  name: 'unary-throughput',
  description: '64 calls in flight for a fixed duration; calls/s',
  params: {
    quick: { inFlight: 64, warmupMs: 250, durationMs: 750 },
    full: { inFlight: 64, warmupMs: 1000, durationMs: 5000 },
  },
  timeoutMs: (p) => 3 * (param(p, 'warmupMs') + param(p, 'durationMs')) + 10_000,
  metrics: [
    rateMetric('calls/s'),
    percentileMetric('p99', 'p99 µs at 64 in flight'),
    cpuMetric('call'),
  ],
  server: rpcServerHalf,
  client(impl, endpoint, p, control) {
    const inFlight = param(p, 'inFlight');
    return withClient(impl.connect(endpoint, { maxInFlight: inFlight }), async (client) => {
      let next = 0;
      let done = 0;
      let recorder: LatencyRecorder | null = null;
      let end = 0;
      // Each worker keeps exactly one call in flight until the clock says stop.
      const worker = async () => {
        while (performance.now() < end) {
          const n = next++;
          const request = makeMessage(n);
          const t0 = performance.now();
          const reply = await client.unary(request);
          recorder?.record((performance.now() - t0) * 1000);
          checkMessage(reply, n);
          if (recorder) done++;
        }
      };
      const run = () => Promise.all(Array.from({ length: inFlight }, worker));

      end = Math.min(performance.now() + param(p, 'warmupMs'), control.deadline);
      await run();
      await control.startMeasuring();
      recorder = new LatencyRecorder(1 << 16);
      end = Math.min(performance.now() + param(p, 'durationMs'), control.deadline);
      await run();
      control.stopMeasuring();
      const s = recorder.summary();
      return { ops: done, values: { p50: s.p50, p99: s.p99, p999: s.p999, max: s.max } };
    });
  },
};
