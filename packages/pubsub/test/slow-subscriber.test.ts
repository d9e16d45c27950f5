/**
 * A subscriber too slow for its publisher, on real sockets with small
 * high-water marks: in 'drop' mode every lost message is counted exactly as a
 * gap (sent = received + gaps, and the publisher's drop count agrees); in
 * 'block' mode nothing is lost.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher, createSubscriber, defineTopic, type GapEvent } from '../src/index.js';
import { FAST, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

// About 1 KiB per message, so the messages overflow the kernel's TCP buffers
// too, not only libzmq's queues.
const Ticks = defineTopic<{ i: number; pad: string }>('ticks');
const PAD = 'x'.repeat(1000);
const COUNT = 20_000;
const SMALL = { ...FAST, sendHighWaterMark: 4, receiveHighWaterMark: 4, sendQueueDepth: 256 };
const BUFFER = 100;

async function setup(slowSubscriber: 'drop' | 'block') {
  const gapEvents: GapEvent[] = [];
  const pub = resources.add(createPublisher({ slowSubscriber, transportOptions: SMALL }));
  const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
  const sub = resources.add(
    createSubscriber({
      endpoints: [endpoint!],
      transportOptions: SMALL,
      listeners: [{ onGap: (e) => gapEvents.push(e) }],
    }),
  );
  // 'wait' (the default): a full buffer stops the reader, so the backlog
  // reaches libzmq and the publisher, where the policy applies.
  const feed = sub.subscribe(Ticks, { bufferSize: BUFFER, whenFull: 'wait' });
  await sub.ready({ timeoutMs: 10_000 });
  await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Ticks });
  return { pub, sub, feed, gapEvents };
}

describe('slow subscriber', () => {
  it("'drop': the publisher drops at the high-water mark and the subscriber counts every lost message", async () => {
    const { pub, feed, gapEvents } = await setup('drop');
    // Nobody reads yet: the subscription fills, then libzmq's queues.
    for (let i = 0; i < COUNT; i++) await pub.publish(Ticks, { i, pad: PAD });
    await waitFor(() => pub.stats().queueDepth === 0, 'publisher queue drained');
    expect(pub.stats().dropped).toBeGreaterThan(0);

    // Now read everything. The tail may have been dropped too, and a gap is
    // only seen when a later message arrives: publish markers until the
    // latest one arrives (each round waits for its marker, bounded).
    const received: Array<{ i: number; seq: number }> = [];
    let lastSeq = 0;
    const reader = (async () => {
      for await (const m of feed) {
        received.push({ i: m.value.i, seq: m.seq });
        lastSeq = m.seq;
      }
    })();
    let sent = COUNT;
    for (let round = 1; lastSeq !== sent; round++) {
      if (round > 50) throw new Error('no marker arrived after 50 rounds');
      await pub.publish(Ticks, { i: -round, pad: '' });
      sent++;
      await waitFor(() => lastSeq === sent, 'the marker', 2000, 2).catch(() => {});
    }
    feed.stop();
    await within(reader, 10_000, 'reader');

    const stats = feed.stats();
    // Exact accounting: everything sent either arrived or is counted as a gap.
    expect(received.length + stats.gaps).toBe(sent);
    expect(stats.gaps).toBe(pub.stats().dropped);
    expect(stats.gaps).toBeGreaterThan(0);
    expect(stats.received).toBe(received.length);
    expect(gapEvents.reduce((n, e) => n + e.missing, 0)).toBe(stats.gaps);
    // What arrived is in order, numbered by publish order, with the gaps where the events say.
    for (let k = 0; k < received.length; k++) {
      const r = received[k]!;
      const expectedSeq = r.i >= 0 ? r.i + 1 : COUNT - r.i;
      expect(r.seq).toBe(expectedSeq);
      if (k > 0) expect(r.seq).toBeGreaterThan(received[k - 1]!.seq);
    }
    for (const e of gapEvents) expect(e.missing).toBe(e.received - e.expected);
  });

  it("'block': publishing waits for the slow subscriber and nothing is lost", async () => {
    const { pub, feed } = await setup('block');
    let published = 0;
    const publishing = (async () => {
      for (let i = 0; i < COUNT; i++) {
        await pub.publish(Ticks, { i, pad: PAD });
        published++;
      }
    })();
    // The backlog reaches the publisher: its queue fills and publish waits.
    await waitFor(
      () => feed.stats().pending === BUFFER && pub.stats().queueDepth === SMALL.sendQueueDepth,
      'the subscription and the publisher queue to fill',
    );
    expect(published).toBeLessThan(COUNT);

    let expected = 0;
    const problems: string[] = [];
    for await (const m of feed) {
      if (m.value.i !== expected || m.seq !== expected + 1) problems.push(`${expected}: ${m.seq}`);
      if (++expected === COUNT) break;
    }
    await within(publishing, 30_000, 'publishing');
    expect(problems.slice(0, 5)).toEqual([]);
    expect(feed.stats()).toMatchObject({ received: COUNT, gaps: 0, dropped: 0, invalid: 0 });
    expect(pub.stats()).toMatchObject({ published: COUNT, dropped: 0 });
  });
});
