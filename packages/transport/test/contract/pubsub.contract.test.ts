/**
 * The publish/subscribe contract, run on every engine (memory, libzmq, zmtp):
 * prefix subscriptions, order, the slow-subscriber policies, events and
 * counters. Where an engine differs by design, the test says so for that
 * engine.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, SubscriberTransport } from '../../src/index.js';
import { checkNumbered, numbered, Resources, waitFor, waitForStall, within } from '../helpers.js';
import { type ContractPublisher, ENGINES, engine } from './engines.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const t = (s: string): Buffer => Buffer.from(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString();

/** Reads deliveries (copied) until `stop` says so. */
async function collect(
  sub: SubscriberTransport,
  stop: (all: Delivery[]) => boolean,
): Promise<Delivery[]> {
  const all: Delivery[] = [];
  for await (const d of sub) {
    all.push({ topic: Buffer.from(d.topic), message: Buffer.from(d.message) });
    if (stop(all)) break;
  }
  return all;
}

/**
 * Listens on the address a closed publisher had: libzmq frees the port
 * asynchronously after close, so ADDRESS_IN_USE is retried for a while.
 */
async function listenAgain(pub: ContractPublisher, endpoint: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await pub.listen(endpoint);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ADDRESS_IN_USE' || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe.each(ENGINES)('pub/sub contract on %s', (name) => {
  const e = engine(name);

  it('delivers by topic prefix; unsubscribe stops it; unmatched messages are counted', async () => {
    const pub = resources.add(e.publisher());
    const endpoint = await pub.listen(e.address());
    expect(pub.endpoints).toEqual([endpoint]);
    const sub = resources.add(e.subscriber([endpoint]));
    sub.subscribe(t('a.'));
    await pub.waitForSubscribers(1, { topic: t('a.x'), timeoutMs: 10_000 });
    expect(pub.subscriptions()).toEqual(new Map([['a.', 1]]));
    await expect(
      pub.waitForSubscribers(1, { topic: t('b.x'), timeoutMs: 20 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });

    for (const topic of ['a.1', 'b.1', 'a', 'a.2']) await pub.publish(t(topic), t(topic));
    const first = await within(
      collect(sub, (all) => all.length === 2),
      10_000,
      'deliveries',
    );
    expect(first.map((d) => text(d.topic))).toEqual(['a.1', 'a.2']);
    expect(first.map((d) => text(d.message))).toEqual(['a.1', 'a.2']);
    await waitFor(() => pub.stats().unmatched === 2, 'b.1 and a counted as unmatched');

    sub.unsubscribe(t('a.'));
    await waitFor(() => pub.subscriptions().size === 0, 'the unsubscription');
    sub.subscribe(t('b.'));
    await pub.waitForSubscribers(1, { topic: t('b.'), timeoutMs: 10_000 });
    await pub.publish(t('a.3'), t('a.3'));
    await pub.publish(t('b.2'), t('b.2'));
    const next = await within(
      collect(sub, () => true),
      10_000,
      'the next delivery',
    );
    expect(text(next[0]!.topic)).toBe('b.2');
  });

  it('keeps publish order across topics for a subscriber of several', async () => {
    // 'block': this test is about order; nothing may be dropped on the way.
    const pub = resources.add(e.publisher({ slowSubscriber: 'block' }));
    const endpoint = await pub.listen(e.address());
    const sub = resources.add(e.subscriber([endpoint]));
    sub.subscribe(t('x'));
    sub.subscribe(t('y'));
    await pub.waitForSubscribers(2, { timeoutMs: 10_000 });
    const N = 2000;
    // Runs of one topic, then the other: bursts are cut per run, order is kept.
    const topicOf = (i: number): string => ((i >> 3) % 2 === 0 ? 'x' : 'y');
    const got = collect(sub, (all) => all.length === N);
    for (let i = 0; i < N; i++) await pub.publish(t(topicOf(i)), numbered(i, 24));
    const all = await within(got, 20_000, 'deliveries');
    all.forEach((d, i) => {
      expect(text(d.topic)).toBe(topicOf(i));
      expect(checkNumbered(d.message, i, 24)).toBe('');
    });
    const stats = pub.stats();
    expect([stats.messagesOut, stats.drops, stats.unmatched, stats.queueDepth]).toEqual([
      N,
      0,
      0,
      0,
    ]);
    expect(sub.stats().messagesIn).toBe(N);
  });

  it("'drop': a subscriber that does not read loses messages, counted and reported; the rest arrive in order", async () => {
    // Memory has no kernel buffers: its bound is the subscriber's queue alone.
    // The socket engines have TCP buffers besides the high-water marks, so
    // they need far more (and larger) messages before drops begin.
    const N = name === 'memory' ? 500 : 40_000;
    const size = name === 'memory' ? 16 : 1024;
    const pub = resources.add(e.publisher({ slowSubscriber: 'drop' }));
    const endpoint = await pub.listen(e.address());
    const sub = resources.add(e.subscriber([endpoint], { highWaterMark: 4 }));
    sub.subscribe(t('t'));
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    let reported = 0;
    pub.on('dropped', (ev) => {
      reported += ev.count ?? 1;
    });
    for (let i = 0; i < N; i++) await pub.publish(t('t'), numbered(i, size));
    await waitFor(() => pub.stats().queueDepth === 0, 'the publisher queue to drain');
    const { drops } = pub.stats();
    expect(drops).toBeGreaterThan(0);
    expect(reported).toBe(drops);
    let last = -1;
    let received = 0;
    for await (const d of sub) {
      const index = Buffer.from(d.message).readUInt32BE(0);
      expect(index).toBeGreaterThan(last);
      expect(checkNumbered(d.message, index, size)).toBe('');
      last = index;
      if (++received === N - drops) break;
    }
    expect(received + drops).toBe(N);
  });

  it("'block': publish waits for a slow subscriber and nothing is lost", async () => {
    const N = name === 'memory' ? 2000 : 20_000;
    const DEPTH = 128;
    const pub = resources.add(e.publisher({ slowSubscriber: 'block', sendQueueDepth: DEPTH }));
    const endpoint = await pub.listen(e.address());
    const sub = resources.add(e.subscriber([endpoint], { highWaterMark: 4 }));
    sub.subscribe(t('t'));
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    let published = 0;
    const producer = (async () => {
      for (; published < N; published++) await pub.publish(t('t'), numbered(published, 1024));
    })();
    const stalledAt = await waitForStall(() => published, 'publishing to stall');
    expect(stalledAt).toBeLessThan(N);
    expect(pub.stats().queueDepth).toBe(DEPTH);
    let received = 0;
    for await (const d of sub) {
      const problem = checkNumbered(d.message, received, 1024);
      if (problem !== '') throw new Error(problem);
      if (++received === N) break;
    }
    await within(producer, 30_000, 'producer');
    expect(received).toBe(N);
    expect(pub.stats().drops).toBe(0);
  });

  it('disconnect(endpoint) drops one publisher for good; the other continues', async () => {
    const pubA = resources.add(e.publisher());
    const pubB = resources.add(e.publisher());
    const epA = await pubA.listen(e.address());
    const epB = await pubB.listen(e.address());
    const sub = resources.add(e.subscriber([epA, epB]));
    sub.subscribe(t(''));
    await pubA.waitForSubscribers(1, { timeoutMs: 10_000 });
    await pubB.waitForSubscribers(1, { timeoutMs: 10_000 });

    // Reading while disconnecting, as a subscriber does: libzmq ends the
    // connection when the socket next processes its commands.
    const first = within(
      collect(sub, () => true),
      10_000,
      'the message from B',
    );
    const aLeft = new Promise<{ reason: string }>((resolve) => pubA.on('disconnected', resolve));
    sub.disconnect(epA);
    sub.disconnect(e.nowhere()); // never connected: ignored
    await within(aLeft, 10_000, 'publisher A to see the subscriber leave');
    await waitFor(() => pubA.subscriptions().size === 0, 'the subscription at A to go');
    await pubA.publish(t('a'), t('a1'));
    await pubB.publish(t('b'), t('b1'));
    expect((await first).map((d) => text(d.message))).toEqual(['b1']);
    const next = within(
      collect(sub, () => true),
      10_000,
      'the message from the restarted B',
    );

    // Restart A, then B, each on its own address: the subscriber coming back
    // to B shows it went through reconnecting; it must not have dialled A.
    await pubA.close();
    const pubA2 = resources.add(e.publisher());
    let a2Joined = 0;
    pubA2.on('connected', () => a2Joined++);
    expect(await listenAgain(pubA2, epA)).toBe(epA);
    await pubB.close();
    const pubB2 = resources.add(e.publisher());
    expect(await listenAgain(pubB2, epB)).toBe(epB);
    await pubB2.waitForSubscribers(1, { timeoutMs: 10_000 });
    expect(a2Joined).toBe(0);
    expect(pubA2.subscriptions().size).toBe(0);
    await pubA2.publish(t('a'), t('a2'));
    await pubB2.publish(t('b'), t('b2'));
    expect((await next).map((d) => text(d.message))).toEqual(['b2']);
  });

  it('reports subscribers joining and leaving on both sides; close is idempotent and final', async () => {
    const pub = resources.add(e.publisher());
    const endpoint = await pub.listen(e.address());
    const pubJoined = new Promise((resolve) => pub.on('connected', resolve));
    const sub = resources.add(e.subscriber([]));
    const subJoined = new Promise<{ endpoint: string }>((resolve) => sub.on('connected', resolve));
    sub.connect(endpoint);
    sub.subscribe(t(''));
    await within(Promise.all([pubJoined, subJoined]), 10_000, 'connected events');
    expect((await subJoined).endpoint).toBe(endpoint);
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });

    const pubLeft = new Promise<{ reason: string }>((resolve) => pub.on('disconnected', resolve));
    const loop = (async () => {
      for await (const _ of sub) void _;
    })();
    await sub.close();
    await sub.close();
    expect(sub.closed).toBe(true);
    expect(() => sub.subscribe(t('x'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await within(loop, 10_000, 'the subscriber loop to end');
    expect(await within(pubLeft, 10_000, 'publisher disconnected')).toMatchObject({
      reason: 'disconnected',
    });
    await waitFor(() => pub.subscriptions().size === 0, 'the subscription to go');

    await pub.close();
    await pub.close();
    expect(pub.closed).toBe(true);
    await expect(pub.publish(t('a'), t('1'))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(pub.waitForSubscribers(1)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('rejects a message above maxMessageBytes with TOO_LARGE and a full queue with QUEUE_FULL', async () => {
    const pub = resources.add(e.publisher({ sendQueueDepth: 2 }));
    await pub.listen(e.address());
    await expect(pub.publish(t('a'), new Uint8Array(16 * 1024 * 1024 + 1))).rejects.toMatchObject({
      code: 'TOO_LARGE',
    });
    // Two fit, the third waits for the writer (whenFull: 'wait', the default).
    await pub.publish(t('a'), t('1'));
    await pub.publish(t('a'), t('2'));
    expect(pub.stats().queueDepth).toBe(2);
    await pub.publish(t('a'), t('3'));
    expect(pub.stats().messagesOut).toBe(3);
  });
});
