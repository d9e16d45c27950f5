/**
 * pubsub: 100-byte messages from a publisher (server child) to one
 * subscriber (client child) for a fixed duration, as fast as the publisher
 * can send. Reports messages received per second, the fraction of sent
 * messages that arrived (pub/sub may drop when the subscriber falls behind),
 * and CPU of both processes per received message.
 */
import { sleep } from '../harness/time.js';
import { CheckError, checkPubMessage, makePubEnd, makePubMessage } from '../payload.js';
import type { Publisher } from '../types.js';
import { cpuMetric } from './common-metrics.js';
import { withClient } from './with-client.js';
import { param, type ServerHalf, type Workload } from './workload.js';

// The end marker is sent several times, spaced out: a publisher that drops
// at its high-water mark may drop the first ones.
const END_MARKERS = 5;
const END_SPACING_MS = 40;

async function publishFor(pub: Publisher, durationMs: number, maxMessages: number) {
  await pub.waitForSubscribers(1, 5000);
  const t0 = performance.now();
  const end = t0 + durationMs;
  let sent = 0;
  while (sent < maxMessages && performance.now() < end) {
    const wait = pub.publish(makePubMessage(sent++));
    if (wait) await wait;
  }
  await pub.flush();
  const publishMs = performance.now() - t0;
  for (let i = 0; i < END_MARKERS; i++) {
    await sleep(END_SPACING_MS);
    const wait = pub.publish(makePubEnd());
    if (wait) await wait;
    await pub.flush();
  }
  return { sent, sentPerSec: (sent * 1000) / publishMs };
}

/** The pubsub workload. */
export const pubsub: Workload<'pubsub'> = {
  name: 'pubsub',
  description: '100 B messages, publisher and subscriber in separate processes; received/s',
  params: {
    quick: { durationMs: 750, maxMessages: 20_000_000, idleMs: 1000 },
    full: { durationMs: 5000, maxMessages: 100_000_000, idleMs: 1000 },
  },
  timeoutMs: (p) => 3 * param(p, 'durationMs') + 15_000,
  metrics: [
    { key: 'recvPerSec', label: 'received msg/s', better: 'higher' },
    { key: 'recvRatio', label: 'received / sent %', better: 'higher', digits: 1 },
    cpuMetric('recv msg'),
  ],
  async server(impl, p): Promise<ServerHalf> {
    const pub = await impl.publisher();
    let running: Promise<Record<string, number>> | null = null;
    return {
      endpoint: pub.endpoint,
      start() {
        running = publishFor(pub, param(p, 'durationMs'), param(p, 'maxMessages'));
        // Surfaced by finish(); do not let it become an unhandled rejection first.
        running.catch(() => {});
      },
      finish: () => running ?? Promise.reject(new Error('publisher never started')),
      close: () => pub.close(),
    };
  },
  async client(impl, endpoint, p, control) {
    let received = 0;
    let lost = 0;
    let expected = 0;
    let first = 0;
    let last = 0;
    let ended = false;
    let failure: string | null = null;
    const subscribing = impl.subscriber(endpoint, (message) => {
      let seq: number;
      try {
        seq = checkPubMessage(message);
      } catch (error) {
        failure ??= error instanceof CheckError ? error.message : String(error);
        return;
      }
      if (seq === -1) {
        ended = true;
        return;
      }
      // Reading the clock per message would cost a visible share at 1M msg/s.
      if (received === 0) first = performance.now();
      else if ((received & 63) === 0) last = performance.now();
      received++;
      if (seq > expected) {
        lost += seq - expected;
        last = performance.now();
      } else if (seq < expected) failure ??= `pub message ${seq} after ${expected - 1}: reordered`;
      expected = seq + 1;
    });
    return withClient(subscribing, async () => {
      await control.startMeasuring();
      const idleMs = param(p, 'idleMs');
      const waitUntil = Math.min(
        performance.now() + param(p, 'durationMs') * 2 + 10_000,
        control.deadline,
      );
      // Ends on the end marker, or when messages stopped arriving (all the end
      // markers dropped), or at the deadline.
      let seen = -1;
      let quietSince = performance.now();
      while (!ended && performance.now() < waitUntil) {
        await sleep(20);
        if (received !== seen) {
          seen = received;
          quietSince = performance.now();
        } else if (received > 0 && performance.now() - quietSince > idleMs) break;
      }
      control.stopMeasuring();
      if (failure !== null) throw new Error(failure);
      if (received === 0) throw new Error('subscriber received nothing');
      const windowMs = Math.max(last - first, 1);
      return {
        ops: received,
        values: {
          received,
          lost,
          endSeen: ended ? 1 : 0,
          recvPerSec: (received * 1000) / windowMs,
        },
      };
    });
  },
  summarize: ({ client, server }) => {
    const sent = server.values.sent ?? Number.NaN;
    return { recvRatio: (100 * (client.values.received ?? 0)) / sent };
  },
};
