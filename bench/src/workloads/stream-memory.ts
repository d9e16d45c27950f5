/**
 * stream-memory: a long server stream into a deliberately slow consumer (it
 * sleeps `pauseMs` every `pauseEvery` messages, so it reads far slower than
 * any server writes). Peak RSS and heap of client and server show where each
 * subject buffers what the consumer has not taken yet: a subject with flow
 * control stays flat, one without grows with the stream.
 */
import { sleep } from '../harness/time.js';
import type { ServerStreamClient } from '../types.js';
import { checkedServerStream } from './checked-server-stream.js';
import { rpcServerHalf } from './rpc-server-half.js';
import { oneCallClientHalf } from './with-client.js';
import { param, type Workload } from './workload.js';

const growth = (start: string) => (m: Readonly<Record<string, number>>) => {
  const from = m[start];
  return from === undefined ? '' : ` (from ${from.toFixed(0)})`;
};

/** The stream-memory workload. */
export const streamMemory: Workload<'stream-memory'> = {
  name: 'stream-memory',
  description: 'server stream into a slow consumer; peak memory of both processes',
  params: {
    quick: { count: 30_000, pauseEvery: 100, pauseMs: 2, maxMs: 15_000 },
    full: { count: 1_000_000, pauseEvery: 100, pauseMs: 2, maxMs: 90_000 },
  },
  timeoutMs: (p) => param(p, 'maxMs') + 15_000,
  metrics: [
    {
      key: 'clientPeakRssMiB',
      label: 'client peak RSS MiB',
      better: 'lower',
      detail: growth('clientRssStartMiB'),
    },
    {
      key: 'serverPeakRssMiB',
      label: 'server peak RSS MiB',
      better: 'lower',
      detail: growth('serverRssStartMiB'),
    },
    { key: 'clientPeakHeapExtMiB', label: 'client peak heap+ext MiB', better: 'lower' },
    { key: 'serverPeakHeapExtMiB', label: 'server peak heap+ext MiB', better: 'lower' },
    { key: 'opsPerSec', label: 'msg/s consumed', better: 'higher' },
  ],
  server: rpcServerHalf,
  client: oneCallClientHalf(async (client: ServerStreamClient, p, control) => {
    const count = param(p, 'count');
    await control.startMeasuring();
    const endAt = Math.min(performance.now() + param(p, 'maxMs'), control.deadline);
    await checkedServerStream(client, count, endAt, {
      every: param(p, 'pauseEvery'),
      ms: param(p, 'pauseMs'),
      sleep,
    });
    control.stopMeasuring();
    return { ops: count, values: {} };
  }),
  // Heap alone misses Buffers (where byte-oriented transports queue), so the
  // heap rows show V8 heap + external memory at their separate peaks.
  summarize: ({ client, server }) => ({
    clientPeakHeapExtMiB: client.peakHeapMiB + client.peakExternalMiB,
    serverPeakHeapExtMiB: server.peakHeapMiB + server.peakExternalMiB,
  }),
};
