/**
 * Subscriptions with an `onMessage` callback instead of an iterator, on real
 * sockets: order, counters, asynchronous callbacks holding the reader back,
 * failing callbacks, stop from inside, schemas.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineTopic,
  type PublisherOptions,
  PubSubError,
  type SubscriberOptions,
  type TopicMessage,
} from '../src/index.js';
import { fastPublisher, fastSubscriber, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Numbers = defineTopic<{ i: number }>('numbers');

const publisher = (options: PublisherOptions = {}) => fastPublisher(resources, options);
const subscriber = (options: SubscriberOptions = {}) => fastSubscriber(resources, options);

/** A publisher and a subscriber connected to it, ready for `topic`. */
async function pair(pubOptions: PublisherOptions = {}) {
  const pub = publisher(pubOptions);
  const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
  const sub = subscriber({ endpoints: [endpoint!] });
  await sub.ready({ timeoutMs: 10_000 });
  return { pub, sub };
}

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('onMessage subscriptions', () => {
  it('deliver 50,000 messages in order with no iterator, and cannot be iterated', async () => {
    const COUNT = 50_000;
    const { pub, sub } = await pair({ slowSubscriber: 'block' });
    const seen: number[] = [];
    const done = deferred();
    const feed = sub.subscribe(Numbers, {
      onMessage: (m) => {
        seen.push(m.value.i);
        if (m.seq !== seen.length || m.publisher !== pub.id) seen.push(-1);
        if (seen.length === COUNT) done.resolve();
      },
    });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    for (let i = 0; i < COUNT; i++) await pub.publish(Numbers, { i });
    await within(done.promise, 60_000, 'all messages');

    expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(feed.stats()).toEqual({
      received: COUNT,
      delivered: COUNT,
      pending: 0,
      dropped: 0,
      gaps: 0,
      invalid: 0,
      errors: 0,
    });
    expect(() => feed[Symbol.asyncIterator]()).toThrow(PubSubError);
    expect(() => feed[Symbol.asyncIterator]()).toThrow(/onMessage/);
    // Bursts were read in one go: far fewer ZeroMQ messages than messages.
    expect(sub.stats().transport.zmqIn).toBeLessThan(COUNT / 8);
  });

  it('hold the reader back while a returned promise is pending: one at a time, in order, nothing lost', async () => {
    const COUNT = 2_000;
    const { pub, sub } = await pair({ slowSubscriber: 'block' });
    const seen: number[] = [];
    let active = 0;
    let maxActive = 0;
    const done = deferred();
    sub.subscribe(Numbers, {
      onMessage: async (m) => {
        active++;
        maxActive = Math.max(maxActive, active);
        // Every 100th message takes a few turns of the event loop.
        if (m.value.i % 100 === 0) {
          for (let t = 0; t < 3; t++) await new Promise((r) => setImmediate(r));
        }
        seen.push(m.value.i);
        active--;
        if (seen.length === COUNT) done.resolve();
      },
    });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    for (let i = 0; i < COUNT; i++) await pub.publish(Numbers, { i });
    await within(done.promise, 60_000, 'all messages');
    expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(maxActive).toBe(1);
    expect(sub.stats()).toMatchObject({ received: COUNT, gaps: 0, invalid: 0 });
  });

  it('count callbacks that throw or reject, tell onError, and go on', async () => {
    const { pub, sub } = await pair();
    const failures: Array<[string, number]> = [];
    const seen: number[] = [];
    const done = deferred();
    const feed = sub.subscribe(Numbers, {
      onMessage: (m) => {
        seen.push(m.value.i);
        if (m.value.i === 5) done.resolve();
        if (m.value.i === 1) throw new Error('sync failure');
        if (m.value.i === 3) return Promise.reject(new Error('async failure'));
        return undefined;
      },
      onError: (error, m: TopicMessage<{ i: number }>) => {
        failures.push([(error as Error).message, m.value.i]);
        // A throwing error handler is swallowed too.
        throw new Error('onError failed');
      },
    });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    for (let i = 0; i < 6; i++) await pub.publish(Numbers, { i });
    await within(done.promise, 10_000, 'six messages');
    await waitFor(() => failures.length === 2, 'the rejection reported');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(failures).toEqual([
      ['sync failure', 1],
      ['async failure', 3],
    ]);
    expect(feed.stats()).toMatchObject({ received: 6, delivered: 6, errors: 2 });
  });

  it('stop from inside the callback: no call after it, the prefix is unsubscribed', async () => {
    const { pub, sub } = await pair();
    const seen: number[] = [];
    const feed = sub.subscribe(Numbers, {
      onMessage: (m) => {
        seen.push(m.value.i);
        if (m.value.i === 9) feed.stop();
      },
    });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    // One burst: the stop happens in the middle of reading it.
    for (let i = 0; i < 50; i++) void pub.publish(Numbers, { i });
    await waitFor(() => feed.stopped, 'the stop');
    await waitFor(() => pub.subscriptions().length === 0, 'the unsubscription');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sub.stats().subscriptions).toBe(0);
  });

  it('get the schema output, and invalid values are counted, not delivered', async () => {
    const Orders = defineTopic('orders', z.object({ id: z.string(), qty: z.number().positive() }));
    const Loose = defineTopic<unknown>('orders');
    const { pub, sub } = await pair();
    const seen: string[] = [];
    const done = deferred();
    const feed = sub.subscribe(Orders, {
      onMessage: (m) => {
        seen.push(m.value.id);
        if (m.value.id === 'c') done.resolve();
      },
    });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    await pub.publish(Loose, { id: 'a', qty: 1 });
    await pub.publish(Loose, { id: 'b', qty: -1 });
    await pub.publish(Loose, { id: 'c', qty: 2 });
    await within(done.promise, 10_000, 'the valid orders');
    expect(seen).toEqual(['a', 'c']);
    expect(feed.stats()).toMatchObject({ received: 2, invalid: 1, errors: 0 });
  });

  it('refuses an onMessage that is not a function', async () => {
    const sub = subscriber();
    expect(() => sub.subscribe(Numbers, { onMessage: 'nope' as unknown as () => void })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
