/**
 * Publisher and subscribers on real sockets (TCP on 127.0.0.1): complete,
 * ordered delivery after waitForSubscribers, key-prefix filtering, metadata,
 * listeners, validation, readiness and lifecycle.
 */

import type { StandardSchemaV1 } from '@xsmb/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineTopic,
  type GapEvent,
  type InvalidEvent,
  type PublishEvent,
  type PublisherOptions,
  PubSubError,
  type ReceiveEvent,
  type SubscriberOptions,
  type Subscription,
  type TopicMessage,
} from '../src/index.js';
import { fastPublisher, fastSubscriber, Resources, take, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Numbers = defineTopic<{ i: number }>('numbers');
const Prices = defineTopic<{ sym: string; px: number }>('prices');
const Prices2 = defineTopic<{ sym: string; px: number }>('prices2');

const publisher = (options: PublisherOptions = {}) => fastPublisher(resources, options);
const subscriber = (options: SubscriberOptions = {}) => fastSubscriber(resources, options);

/** Reads a subscription in the background until `until(message)` holds. */
function collect<T>(
  sub: Subscription<T>,
  until: (m: TopicMessage<T>) => boolean,
): { messages: Array<TopicMessage<T>>; done: Promise<void> } {
  const messages: Array<TopicMessage<T>> = [];
  const done = (async () => {
    const it = sub[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done === true) throw new Error(`ended after ${messages.length} messages`);
      messages.push(next.value);
      if (until(next.value)) return;
    }
  })();
  return { messages, done };
}

describe('delivery', () => {
  it('delivers 100,000 messages complete and in order to two subscribers after waitForSubscribers', async () => {
    const COUNT = 100_000;
    // 'block' makes the publisher lossless even if a subscriber falls behind
    // on a loaded machine; waitForSubscribers is what avoids the slow-joiner loss.
    const pub = publisher({ slowSubscriber: 'block' });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const subs = [subscriber({ endpoints: [endpoint!] }), subscriber({ endpoints: [endpoint!] })];
    const feeds = subs.map((s) => s.subscribe(Numbers));
    await within(Promise.all(subs.map((s) => s.ready())), 10_000, 'subscribers ready');
    await pub.waitForSubscribers(2, { timeoutMs: 10_000, topic: Numbers });

    const results = feeds.map(async (feed) => {
      let expected = 0;
      const problems: string[] = [];
      for await (const m of feed) {
        if (m.value.i !== expected || m.seq !== expected + 1 || m.publisher !== pub.id) {
          if (problems.length < 5) problems.push(`#${expected}: ${JSON.stringify(m)}`);
        }
        expected++;
        if (expected === COUNT) break;
      }
      return { expected, problems, stats: feed.stats() };
    });
    for (let i = 0; i < COUNT; i++) await pub.publish(Numbers, { i });

    for (const r of await within(Promise.all(results), 60_000, 'all messages')) {
      expect(r.problems).toEqual([]);
      expect(r.expected).toBe(COUNT);
      expect(r.stats).toMatchObject({ received: COUNT, delivered: COUNT, gaps: 0, invalid: 0 });
    }
    // Leaving the for-await loop stopped the subscriptions.
    expect(feeds.every((f) => f.stopped)).toBe(true);
    const stats = pub.stats();
    expect(stats).toMatchObject({ published: COUNT, dropped: 0, streams: 1 });
    // Bursting: far fewer ZeroMQ messages than messages.
    expect(stats.transport.zmqOut).toBeLessThan(COUNT / 8);
    for (const s of subs) expect(s.stats()).toMatchObject({ received: COUNT, gaps: 0, invalid: 0 });
  });

  it('filters by topic and key prefix exactly, with several subscriptions on one socket', async () => {
    // 'block': 700 messages of interleaved keys in one tick are about 700
    // ZeroMQ messages (bursts never reorder), beyond the default high-water
    // mark of 100; this test is about filtering, not about the drop policy.
    const pub = publisher({ slowSubscriber: 'block' });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!] });
    const aapl = sub.subscribe(Prices, { key: 'AAPL' });
    const aa = sub.subscribe(Prices, { key: 'AA' });
    const all = sub.subscribe(Prices);
    const other = sub.subscribe(Prices2);
    await sub.ready({ timeoutMs: 10_000 });
    // Three distinct socket subscriptions reach the publisher... plus prices2.
    await pub.waitForSubscribers(4, { timeoutMs: 10_000 });

    const keys = ['AAPL', 'AAPL.O', 'AAL', 'MSFT', 'AA', 'A', undefined];
    const sent: Array<{ topic: string; key: string | undefined; i: number }> = [];
    for (let i = 0; i < 700; i++) {
      const key = keys[i % keys.length];
      const topic = i % 10 === 9 ? Prices2 : Prices;
      await pub.publish(topic, { sym: key ?? '-', px: i }, key === undefined ? {} : { key });
      sent.push({ topic: topic.name, key, i });
    }
    // Sentinels go out once everything before them is in libzmq's queues (and
    // order holds across keys, so they arrive last anyway).
    await waitFor(() => pub.stats().queueDepth === 0, 'publisher queue drained');
    const END = -1;
    const isEnd = (m: TopicMessage<{ px: number }>) => m.value.px === END;
    const runs = [aapl, aa, all, other].map((s) => collect(s, isEnd));
    await pub.publish(Prices, { sym: 'AAPL', px: END }, { key: 'AAPL' });
    await pub.publish(Prices2, { sym: 'AAPL', px: END }, { key: 'AAPL' });
    await within(Promise.all(runs.map((r) => r.done)), 20_000, 'sentinels');

    const expect_ = (topic: string, match: (key: string | undefined) => boolean) =>
      sent.filter((s) => s.topic === topic && match(s.key)).map((s) => s.i);
    const got = (r: (typeof runs)[number]) =>
      r.messages
        .filter((m) => !isEnd(m))
        .map((m) => m.value.px)
        .sort((a, b) => a - b);
    expect(got(runs[0]!)).toEqual(expect_('prices', (k) => k?.startsWith('AAPL') === true));
    expect(got(runs[1]!)).toEqual(expect_('prices', (k) => k?.startsWith('AA') === true));
    expect(got(runs[2]!)).toEqual(expect_('prices', () => true));
    // 'prices\0' does not match topic 'prices2'; 'prices2\0' gets only prices2.
    expect(got(runs[3]!)).toEqual(expect_('prices2', () => true));
    // Order and numbering hold per key, and the key and topic are reported.
    const byKey = new Map<string, number[]>();
    for (const m of runs[2]!.messages) {
      expect(m.topic).toBe('prices');
      expect(m.key).toBe(m.value.sym === '-' ? undefined : m.value.sym);
      const seqs = byKey.get(m.value.sym) ?? [];
      seqs.push(m.seq);
      byKey.set(m.value.sym, seqs);
    }
    for (const seqs of byKey.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    for (const s of [aapl, aa, all, other])
      expect(s.stats()).toMatchObject({ gaps: 0, invalid: 0 });
  });

  it('carries metadata, reports the publisher id, and calls listeners (a throwing one is counted)', async () => {
    const published: PublishEvent[] = [];
    const received: ReceiveEvent[] = [];
    const thrower = () => {
      throw new Error('listener bug');
    };
    const pub = publisher({
      listeners: [{ onPublish: (e) => published.push(e) }, { onPublish: thrower }],
    });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({
      endpoints: [endpoint!],
      listeners: [{ onReceive: (e) => received.push(e) }, { onReceive: thrower }],
    });
    const feed = sub.subscribe(Prices);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Prices, key: 'AAPL' });

    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const bin = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    await pub.publish(
      Prices,
      { sym: 'AAPL', px: 1.5 },
      { key: 'AAPL', metadata: { traceparent, 'x-bin': bin } },
    );
    await pub.publish(Prices, { sym: 'AAPL', px: 2 }, { key: 'AAPL', metadata: {} });
    const [m1, m2] = await take(feed, 2);
    expect(m1).toEqual({
      value: { sym: 'AAPL', px: 1.5 },
      topic: 'prices',
      key: 'AAPL',
      metadata: { traceparent, 'x-bin': bin },
      seq: 1,
      publisher: pub.id,
    });
    expect(m2!.metadata).toEqual({});
    expect(m2!.seq).toBe(2);
    expect(pub.id).toMatch(/^[0-9a-f]{16}$/);

    expect(published.map((e) => [e.topic, e.key, e.seq, e.publisher])).toEqual([
      ['prices', 'AAPL', 1, pub.id],
      ['prices', 'AAPL', 2, pub.id],
    ]);
    expect(published[0]!.metadata).toEqual({ traceparent, 'x-bin': bin });
    expect(published[0]!.bytes).toBeGreaterThan(traceparent.length);
    expect(received.map((e) => [e.topic, e.key, e.seq, e.value])).toEqual([
      ['prices', 'AAPL', 1, { sym: 'AAPL', px: 1.5 }],
      ['prices', 'AAPL', 2, { sym: 'AAPL', px: 2 }],
    ]);
    expect(pub.stats().listenerErrors).toBe(2);
    expect(sub.stats().listenerErrors).toBe(2);
  });

  it('sends messages above the burst limit as large messages', async () => {
    const Blobs = defineTopic<{ data: Uint8Array }>('blobs');
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!] });
    const feed = sub.subscribe(Blobs);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Blobs });
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
    await pub.publish(Blobs, { data: big });
    await pub.publish(Blobs, { data: new Uint8Array([1]) });
    const [a, b] = await take(feed, 2);
    expect(Buffer.compare(a!.value.data, big)).toBe(0);
    expect(a!.seq).toBe(1);
    expect(b!.value.data).toEqual(new Uint8Array([1]));
  });
});

describe('validation', () => {
  it('counts values that fail the schema as invalid and keeps going; uses the schema output', async () => {
    const Loose = defineTopic<unknown>('orders');
    const Strict = defineTopic(
      'orders',
      z.object({ id: z.string(), qty: z.number().int().positive(), note: z.string().default('') }),
    );
    const invalid: InvalidEvent[] = [];
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({
      endpoints: [endpoint!],
      listeners: [{ onInvalid: (e) => invalid.push(e) }],
    });
    const strict = sub.subscribe(Strict);
    const loose = sub.subscribe(Loose);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Strict });

    await pub.publish(Loose, { id: 'a', qty: 1 });
    await pub.publish(Loose, { id: 'b', qty: -1 });
    await pub.publish(Loose, 'not an order');
    await pub.publish(Loose, { id: 'c', qty: 3, note: 'x' });

    const good = await take(strict, 2);
    expect(good.map((m) => m.value)).toEqual([
      { id: 'a', qty: 1, note: '' },
      { id: 'c', qty: 3, note: 'x' },
    ]);
    expect(good.map((m) => m.seq)).toEqual([1, 4]);
    // The schema-less subscription of the same topic sees all four.
    expect((await take(loose, 4)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(strict.stats()).toMatchObject({ received: 2, invalid: 2, gaps: 0 });
    expect(loose.stats()).toMatchObject({ received: 4, invalid: 0, gaps: 0 });
    expect(sub.stats()).toMatchObject({ received: 4, invalid: 2, gaps: 0 });
    expect(invalid.map((e) => [e.reason, e.topic, e.publisher])).toEqual([
      ['validation', 'orders', pub.id],
      ['validation', 'orders', pub.id],
    ]);
    expect(invalid[0]!.message).toContain('qty');
  });

  it('keeps order with an asynchronous schema', async () => {
    const schema: StandardSchemaV1<{ n: number }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value: unknown) => {
          // Larger values validate sooner: order must still hold.
          const n = (value as { n: number }).n;
          for (let turn = 0; turn < Math.max(0, 10 - n); turn++) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          return n > 0
            ? { value: { n } }
            : { issues: [{ message: 'must be positive', path: ['n'] }] };
        },
      },
    };
    const Positive = defineTopic('positive', schema);
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!] });
    const feed = sub.subscribe(Positive);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    const values = [3, -1, 1, 4, -1, 5, 9, 2, 6];
    for (const n of values) await pub.publish(Positive, { n });
    const got = await take(feed, 7);
    expect(got.map((m) => m.value.n)).toEqual(values.filter((n) => n > 0));
    expect(feed.stats()).toMatchObject({ invalid: 2, gaps: 0 });
  });

  it('validates on publish when asked, without using up a sequence number', async () => {
    const Checked = defineTopic('checked', z.object({ n: z.number() }), {
      validateOnPublish: true,
    });
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!] });
    const feed = sub.subscribe(Checked);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    // @ts-expect-error the type is checked at compile time too
    const refused = pub.publish(Checked, { n: 'one' });
    await expect(refused).rejects.toMatchObject({ name: 'PubSubError', code: 'INVALID_ARGUMENT' });
    await pub.publish(Checked, { n: 1 });
    const [m] = await take(feed, 1);
    expect(m).toMatchObject({ value: { n: 1 }, seq: 1 });
    expect(feed.stats().gaps).toBe(0);
  });
});

describe('readiness and lifecycle', () => {
  it('times out waitForSubscribers and ready with TIMEOUT', async () => {
    const pub = publisher();
    await pub.listen('tcp://127.0.0.1:0');
    const error = await pub.waitForSubscribers(1, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PubSubError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    // Nothing listens on port 1.
    const sub = subscriber({ endpoints: ['tcp://127.0.0.1:1'] });
    await expect(sub.ready({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('refuses bad arguments with INVALID_ARGUMENT', async () => {
    const pub = publisher();
    const sub = subscriber();
    await expect(
      pub.publish(Prices, { sym: 'x', px: 1 }, { metadata: { 'Bad Key': 'v' } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      // @ts-expect-error metadata values are strings or bytes
      pub.publish(Prices, { sym: 'x', px: 1 }, { metadata: { n: 1 } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // The RPC metadata limits apply (MetadataLimits of @xsmb/base), named in the message.
    await expect(
      pub.publish(Prices, { sym: 'x', px: 1 }, { metadata: { big: 'x'.repeat(8192) } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /MAX_TOTAL_BYTES/ });
    await expect(
      pub.publish(Prices, { sym: 'x', px: 1 }, { key: 'k'.repeat(2000) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      pub.publish(Prices, { sym: 'x', px: (() => 1) as unknown as number }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => sub.subscribe(Prices, { bufferSize: 0 })).toThrow(PubSubError);
    expect(() => defineTopic('a\0b')).toThrow(TypeError);
    expect(() => defineTopic('')).toThrow(TypeError);
    // Nothing was numbered by the refused publishes.
    expect(pub.stats()).toMatchObject({ published: 0 });
  });

  it('rejects with CLOSED after close, and close ends iterations', async () => {
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!] });
    const feed = sub.subscribe(Numbers);
    const pending = feed[Symbol.asyncIterator]().next();
    await sub.close();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(feed.stopped).toBe(true);
    expect(() => sub.subscribe(Numbers)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(sub.ready()).rejects.toMatchObject({ code: 'CLOSED' });
    await pub.close();
    await pub.close();
    await expect(pub.publish(Numbers, { i: 1 })).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(pub.waitForSubscribers(1)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(pub.closed && sub.closed).toBe(true);
  });

  it('unsubscribes on stop and signal abort; a later subscription counts no false gaps', async () => {
    const gaps: GapEvent[] = [];
    const pub = publisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = subscriber({ endpoints: [endpoint!], listeners: [{ onGap: (e) => gaps.push(e) }] });
    const controller = new AbortController();
    const first = sub.subscribe(Numbers, { signal: controller.signal });
    const twin = sub.subscribe(Numbers);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Numbers });
    // Two identical subscriptions share one socket subscription.
    expect(pub.subscriptions()).toEqual([{ topic: 'numbers', keyPrefix: '', count: 1 }]);
    await pub.publish(Numbers, { i: 0 });
    expect((await take(first, 1))[0]!.seq).toBe(1);
    expect((await take(twin, 1))[0]!.seq).toBe(1);

    controller.abort();
    expect(first.stopped).toBe(true);
    // The twin still holds the socket subscription.
    expect(pub.subscriptions()).toHaveLength(1);
    twin.stop();
    await waitFor(() => pub.subscriptions().length === 0, 'unsubscribe to reach the publisher');

    // Published while nobody subscribed: filtered out by the publisher, not lost.
    for (let i = 1; i <= 10; i++) await pub.publish(Numbers, { i });
    await waitFor(() => pub.stats().queueDepth === 0, 'publisher queue drained');
    const again = sub.subscribe(Numbers);
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Numbers });
    await pub.publish(Numbers, { i: 11 });
    const [m] = await take(again, 1);
    expect(m).toMatchObject({ value: { i: 11 }, seq: 12 });
    expect(again.stats().gaps).toBe(0);
    expect(gaps).toEqual([]);
  });
});
