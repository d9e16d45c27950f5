/**
 * Publish interceptors on real sockets (TCP on 127.0.0.1): metadata they add
 * reaches subscribers and listeners, they run in order (first outermost),
 * they can change the value, their metadata is checked like the caller's,
 * and their failures reject `publish` with a `PubSubError`.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  createPublisher,
  createSubscriber,
  defineTopic,
  type PublishEvent,
  type PublishInterceptor,
  type PublishRequest,
  PubSubError,
  type ReceiveEvent,
} from '../src/index.js';
import { FAST, Resources, take } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Prices = defineTopic<{ sym: string; px: number }>('prices');

/** A publisher with `interceptors` and a subscriber on `Prices`, connected and ready. */
async function pair(interceptors: readonly PublishInterceptor[]) {
  const published: PublishEvent[] = [];
  const received: ReceiveEvent[] = [];
  const pub = resources.add(
    createPublisher({
      interceptors,
      listeners: [{ onPublish: (e) => published.push(e) }],
      transportOptions: FAST,
    }),
  );
  const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
  const sub = resources.add(
    createSubscriber({
      endpoints: [endpoint!],
      listeners: [{ onReceive: (e) => received.push(e) }],
      transportOptions: FAST,
    }),
  );
  const feed = sub.subscribe(Prices);
  await sub.ready({ timeoutMs: 10_000 });
  await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Prices });
  return { pub, feed, published, received };
}

describe('publish interceptors', () => {
  it('add metadata the subscriber sees, in order (first outermost), without touching the caller’s', async () => {
    const calls: string[] = [];
    const seen: PublishRequest[] = [];
    const first: PublishInterceptor = (next) => (req) => {
      calls.push(`first ${req.topic} ${String(req.key)}`);
      seen.push({ ...req, metadata: { ...req.metadata } });
      req.metadata['x-order'] = 'first';
      req.metadata.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      return next(req);
    };
    const second: PublishInterceptor = (next) => async (req) => {
      calls.push(`second ${String(req.metadata['x-order'])}`);
      req.metadata['x-order'] += ',second';
      await next(req);
      calls.push('second: queued');
    };
    const { pub, feed, published, received } = await pair([first, second]);

    const callerMetadata = { 'x-user': 'ada' };
    await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { key: 'AAPL', metadata: callerMetadata });
    await pub.publish(Prices, { sym: 'MSFT', px: 2 });
    const [m1, m2] = await take(feed, 2);

    const expected = {
      'x-user': 'ada',
      'x-order': 'first,second',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    expect(m1!.metadata).toEqual(expected);
    expect(m1!.seq).toBe(1);
    expect(m2!.metadata).toEqual({
      'x-order': 'first,second',
      traceparent: expected.traceparent,
    });
    expect(callerMetadata).toEqual({ 'x-user': 'ada' });
    expect(calls).toEqual([
      'first prices AAPL',
      'second first',
      'second: queued',
      'first prices undefined',
      'second first',
      'second: queued',
    ]);
    expect(seen[0]).toEqual({
      topic: 'prices',
      key: 'AAPL',
      value: { sym: 'AAPL', px: 1 },
      metadata: { 'x-user': 'ada' },
    });
    expect(published[0]!.metadata).toEqual(expected);
    expect(received[0]!.metadata).toEqual(expected);
  });

  it('may replace the value before it is encoded', async () => {
    const double: PublishInterceptor = (next) => (req) => {
      const v = req.value as { sym: string; px: number };
      req.value = { ...v, px: v.px * 2 };
      return next(req);
    };
    const { pub, feed } = await pair([double]);
    await pub.publish(Prices, { sym: 'AAPL', px: 21 });
    const [m] = await take(feed, 1);
    expect(m!.value).toEqual({ sym: 'AAPL', px: 42 });
  });

  it('check the metadata interceptors add, and turn their failures into PubSubError', async () => {
    let mode: 'bad-key' | 'throw' | 'reject' | 'ok' = 'bad-key';
    const interceptor: PublishInterceptor = (next) => (req) => {
      if (mode === 'throw') throw new Error('boom');
      if (mode === 'reject') return Promise.reject(new Error('nope'));
      if (mode === 'bad-key') req.metadata['Bad Key'] = 'x';
      return next(req);
    };
    const { pub, feed } = await pair([interceptor]);
    await expect(pub.publish(Prices, { sym: 'a', px: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    mode = 'throw';
    const thrown = await pub.publish(Prices, { sym: 'a', px: 1 }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PubSubError);
    expect(thrown).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    mode = 'reject';
    await expect(pub.publish(Prices, { sym: 'a', px: 1 })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'nope',
    });
    // Nothing was numbered for the failed attempts: the next message is seq 1, no gap.
    mode = 'ok';
    await pub.publish(Prices, { sym: 'ok', px: 1 });
    const [m] = await take(feed, 1);
    expect(m!.seq).toBe(1);
    expect(pub.stats().published).toBe(1);
    await pub.close();
    await expect(pub.publish(Prices, { sym: 'a', px: 1 })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });
});
