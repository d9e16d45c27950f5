/**
 * The pub/sub layer over the in-memory transport (`createMemoryNetwork()`):
 * numbering, keys, metadata, validation, buffers and gaps without sockets,
 * so that these rules are checked in milliseconds and independently of the
 * engines (test/ runs the same layer on TCP).
 */

import { createMemoryNetwork, type MemoryNetwork } from '@xsmb/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPublisher, type Publisher } from './publisher.js';
import type { GapEvent, InvalidEvent } from './pubsub-listener.js';
import { createSubscriber, type Subscriber } from './subscriber.js';
import type { TopicMessage } from './subscription.js';
import { defineTopic } from './topic.js';

const Numbers = defineTopic<{ i: number }>('numbers');
const Prices = defineTopic('prices', z.object({ sym: z.string(), px: z.number() }));

let net: MemoryNetwork;
let open: Array<Publisher | Subscriber>;
let name = 0;

beforeEach(() => {
  net = createMemoryNetwork();
  open = [];
});
afterEach(async () => {
  await Promise.all(open.map((x) => x.close()));
});

async function pair(
  subscriberOptions: Parameters<typeof createSubscriber>[0] = {},
): Promise<{ pub: Publisher; sub: Subscriber; endpoint: string }> {
  const pub = createPublisher({ transport: net.publisher(), slowSubscriber: 'block' });
  const [endpoint] = await pub.listen(`memory://feed-${++name}`);
  const sub = createSubscriber({
    ...subscriberOptions,
    transport: net.subscriber(),
    endpoints: [endpoint!],
  });
  open.push(pub, sub);
  return { pub, sub, endpoint: endpoint! };
}

/** Takes exactly `count` messages without stopping the subscription (no `return()`). */
async function take<T>(iterable: AsyncIterable<TopicMessage<T>>, count: number) {
  const it = iterable[Symbol.asyncIterator]();
  const out: Array<TopicMessage<T>> = [];
  while (out.length < count) {
    const next = await it.next();
    if (next.done === true) throw new Error(`ended after ${out.length} messages`);
    out.push(next.value);
  }
  return out;
}

describe('pub/sub over the memory transport', () => {
  it('numbers each (topic, key) stream from 1 and delivers in publish order', async () => {
    const { pub, sub } = await pair();
    const all = sub.subscribe(Numbers);
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    for (let i = 0; i < 10; i++) await pub.publish(Numbers, { i }, { key: i % 2 ? 'odd' : 'even' });
    const got = await take(all, 10);
    expect(got.map((m) => m.value.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.map((m) => `${m.key}:${m.seq}`)).toEqual([
      'even:1',
      'odd:1',
      'even:2',
      'odd:2',
      'even:3',
      'odd:3',
      'even:4',
      'odd:4',
      'even:5',
      'odd:5',
    ]);
  });

  it('a key subscription gets only its key, and metadata arrives as sent', async () => {
    const { pub, sub } = await pair();
    const odd = sub.subscribe(Numbers, { key: 'odd' });
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    for (let i = 0; i < 6; i++) {
      await pub.publish(
        Numbers,
        { i },
        { key: i % 2 ? 'odd' : 'even', metadata: { 'x-n': String(i) } },
      );
    }
    const got = await take(odd, 3);
    expect(got.map((m) => [m.value.i, m.seq, m.metadata['x-n']])).toEqual([
      [1, 1, '1'],
      [3, 2, '3'],
      [5, 3, '5'],
    ]);
    // The even messages matched nobody: the publisher left them out.
    expect(pub.stats().unmatched).toBe(3);
  });

  it('counts a value its schema refuses as invalid and delivers the rest', async () => {
    const invalid: InvalidEvent[] = [];
    const { pub, sub } = await pair({ listeners: [{ onInvalid: (e) => invalid.push(e) }] });
    const feed = sub.subscribe(Prices);
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    // Published without the schema check (a peer that does not validate).
    const Loose = defineTopic<unknown>('prices');
    await pub.publish(Loose, { sym: 'A', px: 1 });
    await pub.publish(Loose, { sym: 'B', px: 'not a number' });
    await pub.publish(Loose, { sym: 'C', px: 3 });
    const got = await take(feed, 2);
    expect(got.map((m) => m.value.sym)).toEqual(['A', 'C']);
    expect(invalid.map((e) => e.reason)).toEqual(['validation']);
    // `received` counts valid messages only; the refused one is `invalid` and leaves no gap.
    expect(feed.stats()).toMatchObject({ received: 2, delivered: 2, invalid: 1, gaps: 0 });
  });

  it("drops the oldest messages of a full 'drop-oldest' buffer and counts them", async () => {
    const { pub, sub } = await pair();
    const feed = sub.subscribe(Numbers, { bufferSize: 4, whenFull: 'drop-oldest' });
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    for (let i = 0; i < 10; i++) await pub.publish(Numbers, { i });
    // Nobody reads until every message was received.
    await expect.poll(() => feed.stats().received, { timeout: 10_000 }).toBe(10);
    expect(feed.stats()).toMatchObject({ pending: 4, dropped: 6 });
    const got = await take(feed, 4);
    expect(got.map((m) => m.value.i)).toEqual([6, 7, 8, 9]);
  });

  it('counts the messages lost while disconnected as a gap of exactly that size', async () => {
    const gaps: GapEvent[] = [];
    const { pub, sub, endpoint } = await pair({ listeners: [{ onGap: (e) => gaps.push(e) }] });
    const feed = sub.subscribe(Numbers);
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    await pub.publish(Numbers, { i: 1 });
    await take(feed, 1);
    // Cut without reconnecting: what is published now reaches nobody.
    net.faults.disconnect(endpoint, { reconnect: false });
    await expect.poll(() => pub.subscriptions().length, { timeout: 10_000 }).toBe(0);
    for (let i = 2; i <= 4; i++) await pub.publish(Numbers, { i });
    // Back: a disconnect with reconnect links the subscriber again, which subscribes again.
    net.faults.disconnect(endpoint);
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    await pub.publish(Numbers, { i: 5 });
    const [next] = await take(feed, 1);
    expect(next!.value.i).toBe(5);
    expect(next!.seq).toBe(5);
    expect(gaps.map((g) => [g.expected, g.received, g.missing])).toEqual([[2, 5, 3]]);
    expect(feed.stats().gaps).toBe(3);
  });
});
