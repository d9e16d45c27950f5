/**
 * One publisher's order holds per topic across keys (and across topics), as
 * with plain ZeroMQ; messages no subscription matches are counted.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { defineTopic, type Subscription, type TopicMessage } from '../src/index.js';
import { fastPublisher, fastSubscriber, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Ticks = defineTopic<{ i: number }>('ticks');
const Other = defineTopic<{ i: number }>('other');
const KEYS = ['k0', 'k1', 'k2', 'k3'] as const;

/** Reads `count` messages from a subscription in the background. */
function collect<T>(sub: Subscription<T>, count: number): Promise<Array<TopicMessage<T>>> {
  return (async () => {
    const out: Array<TopicMessage<T>> = [];
    for await (const m of sub) {
      out.push(m);
      if (out.length === count) break;
    }
    return out;
  })();
}

describe('order across keys', () => {
  it('a whole-topic subscriber gets 10,000 messages round-robin over 4 keys in exact publish order; key subscribers get theirs in order', async () => {
    const COUNT = 10_000;
    // 'block': lossless, so the order check is exact even on a loaded machine.
    const pub = fastPublisher(resources, { slowSubscriber: 'block' });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const whole = fastSubscriber(resources, { endpoints: [endpoint!] });
    const keyed = fastSubscriber(resources, { endpoints: [endpoint!] });
    const all = collect(whole.subscribe(Ticks, { bufferSize: COUNT }), COUNT);
    const perKey = KEYS.map((key) =>
      collect(keyed.subscribe(Ticks, { key, bufferSize: COUNT }), COUNT / KEYS.length),
    );
    await within(Promise.all([whole.ready(), keyed.ready()]), 10_000, 'subscribers ready');
    await pub.waitForSubscribers(1 + KEYS.length, { timeoutMs: 10_000 });

    // Same tick: the publisher coalesces what it can, and must not reorder.
    const sent: Promise<void>[] = [];
    for (let i = 0; i < COUNT; i++) {
      sent.push(pub.publish(Ticks, { i }, { key: KEYS[i % KEYS.length]! }));
    }
    await Promise.all(sent);

    const received = await within(all, 60_000, 'whole-topic messages');
    const order = received.map((m) => m.value.i);
    expect(order).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(received.map((m) => m.key)).toEqual(order.map((i) => KEYS[i % KEYS.length]));
    const keys = await within(Promise.all(perKey), 60_000, 'per-key messages');
    keys.forEach((messages, k) => {
      expect(messages.map((m) => m.value.i)).toEqual(
        Array.from({ length: COUNT / KEYS.length }, (_, n) => n * KEYS.length + k),
      );
      expect(messages.map((m) => m.seq)).toEqual(
        Array.from({ length: COUNT / KEYS.length }, (_, n) => n + 1),
      );
    });
    expect(whole.stats().gaps).toBe(0);
    expect(keyed.stats().gaps).toBe(0);
    // Still bursting where the order allows it: runs of one key.
    expect(pub.stats().unmatched).toBe(0);
  });

  it('keeps publish order across topics for a subscriber of both', async () => {
    const COUNT = 4_000;
    const pub = fastPublisher(resources, { slowSubscriber: 'block' });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = fastSubscriber(resources, { endpoints: [endpoint!] });
    const seen: string[] = [];
    sub.subscribe(Ticks, { onMessage: (m) => void seen.push(`t${m.value.i}`) });
    sub.subscribe(Other, { onMessage: (m) => void seen.push(`o${m.value.i}`) });
    await within(sub.ready(), 10_000, 'subscriber ready');
    await pub.waitForSubscribers(2, { timeoutMs: 10_000 });
    const expected: string[] = [];
    const sent: Promise<void>[] = [];
    for (let i = 0; i < COUNT; i++) {
      // Runs of 1 to 3 on one topic, then the other.
      const other = Math.floor(i / (1 + (i % 3))) % 2 === 1;
      sent.push(pub.publish(other ? Other : Ticks, { i }));
      expected.push(`${other ? 'o' : 't'}${i}`);
    }
    await Promise.all(sent);
    await waitFor(() => seen.length === COUNT, `${COUNT} messages (got ${seen.length})`, 60_000);
    expect(seen).toEqual(expected);
  });
});

describe('unmatched', () => {
  it('counts messages no subscription matched: before any subscriber, other keys, other topics, after unsubscribe', async () => {
    const pub = fastPublisher(resources);
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    for (let i = 0; i < 10; i++) await pub.publish(Ticks, { i }, { key: 'a' });
    await waitFor(() => pub.stats().unmatched === 10, 'no subscriber: 10 unmatched');

    const sub = fastSubscriber(resources, { endpoints: [endpoint!] });
    const feed = sub.subscribe(Ticks, { key: 'a' });
    const got = collect(feed, 5);
    await within(sub.ready(), 10_000, 'subscriber ready');
    await pub.waitForSubscribers(1, { topic: Ticks, key: 'a', timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      await pub.publish(Ticks, { i }, { key: 'a' });
      await pub.publish(Ticks, { i }, { key: 'b' });
    }
    await pub.publish(Ticks, { i: 0 }); // no key: 'ticks\0' does not start with 'ticks\0a'
    await pub.publish(Other, { i: 0 }, { key: 'a' });
    expect((await within(got, 10_000, '5 messages')).map((m) => m.value.i)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    await waitFor(() => pub.stats().queueDepth === 0, 'queue drained');
    expect(pub.stats().unmatched).toBe(10 + 5 + 1 + 1);
    expect(pub.stats().published).toBe(10 + 10 + 2);

    feed.stop();
    await waitFor(() => pub.subscriptions().length === 0, 'unsubscription seen');
    await pub.publish(Ticks, { i: 9 }, { key: 'a' });
    await waitFor(() => pub.stats().unmatched === 18, 'unmatched after unsubscribe');
  });
});
