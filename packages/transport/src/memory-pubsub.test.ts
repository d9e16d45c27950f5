/**
 * What only the in-memory pub/sub transport has: fault injection and the
 * memory:// endpoint rules. Its contract (prefixes, order, slow-subscriber
 * policy, events, stats) is checked with the real engines in
 * test/contract/pubsub.contract.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { createMemoryNetwork } from './memory.js';
import type { Delivery, SubscriberTransport } from './types.js';

const t = (s: string): Buffer => Buffer.from(s);

async function take(sub: SubscriberTransport, n: number): Promise<string[]> {
  const got: string[] = [];
  const it = sub[Symbol.asyncIterator]();
  while (got.length < n) {
    const r = (await it.next()) as IteratorResult<Delivery>;
    if (r.done) break;
    got.push(Buffer.from(r.value.message).toString());
  }
  return got;
}

describe('memory pub/sub', () => {
  it('links a subscriber that connected before the publisher listened', async () => {
    const net = createMemoryNetwork();
    const sub = net.subscriber({ endpoints: ['memory://later'] });
    sub.subscribe(t('a'));
    const pub = net.publisher();
    expect(await pub.listen('memory://later')).toBe('memory://later');
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    await pub.publish(t('a'), t('1'));
    expect(await take(sub, 1)).toEqual(['1']);
    await sub.close();
    await pub.close();
  });

  it('rejects endpoints that are not memory:// and a publisher connect()', async () => {
    const net = createMemoryNetwork();
    const pub = net.publisher();
    await expect(pub.listen('tcp://127.0.0.1:0')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
    expect(() => pub.connect('memory://broker')).toThrow(
      expect.objectContaining({ code: 'INVALID_ENDPOINT' }),
    );
    const sub = net.subscriber();
    expect(() => sub.connect('tcp://127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: 'INVALID_ENDPOINT' }),
    );
    await sub.close();
    await pub.close();
  });

  it('disconnect() cuts subscribers, which come back with their subscriptions', async () => {
    const net = createMemoryNetwork();
    const pub = net.publisher();
    const endpoint = await pub.listen('memory://*');
    const sub = net.subscriber({ endpoints: [endpoint] });
    sub.subscribe(t('x'));
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    const events: string[] = [];
    sub.on('connected', () => events.push('connected'));
    sub.on('disconnected', (e) => events.push(`disconnected:${e.reason}`));
    net.faults.disconnect(endpoint);
    expect(pub.subscriptions().size).toBe(0);
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    expect(events).toEqual(['disconnected:disconnected', 'connected']);
    await pub.publish(t('x'), t('again'));
    expect(await take(sub, 1)).toEqual(['again']);
    await sub.close();
    await pub.close();
  });

  it('kill() stops a publisher without a flush; a new one on the name is joined', async () => {
    const net = createMemoryNetwork();
    const pub = net.publisher();
    const endpoint = await pub.listen('memory://feed');
    const sub = net.subscriber({ endpoints: [endpoint] });
    sub.subscribe(t(''));
    await pub.waitForSubscribers(1, { timeoutMs: 5000 });
    net.faults.kill(endpoint);
    expect(pub.closed).toBe(true);
    await expect(pub.publish(t('a'), t('1'))).rejects.toMatchObject({ code: 'CLOSED' });
    const next = net.publisher();
    await next.listen(endpoint);
    await next.waitForSubscribers(1, { timeoutMs: 5000 });
    await next.publish(t('a'), t('2'));
    expect(await take(sub, 1)).toEqual(['2']);
    await sub.close();
    await next.close();
  });
});
