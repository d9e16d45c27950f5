// A subscriber following the publishers behind a resolver: a StaticResolver
// changed at run time, and a DNS name with several addresses served by a
// real dnsmasq on loopback (the transport's test harness).

import { type DiscoveryEvent, StaticResolver } from '@xsmb/transport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dnsmasq,
  dnsmasqAvailable,
  startDnsmasq,
} from '../../transport/test/resolver-dnsmasq.js';
import { createSubscriber, defineTopic, type Publisher } from '../src/index.js';
import { fastPublisher, fastSubscriber, Resources, take, waitFor, within } from './helpers.js';

const Ticks = defineTopic<{ n: number }>('ticks');
const DOMAIN = 'xsmb.test';

const res = new Resources();
afterEach(() => res.closeAll());

/** Publishes `n` from `pub` once a subscription reached it. */
async function send(pub: Publisher, n: number): Promise<void> {
  await pub.waitForSubscribers(1, { topic: Ticks, timeoutMs: 20_000 });
  await pub.publish(Ticks, { n });
}

describe('subscriber discovery', () => {
  it('connects to the publishers a StaticResolver lists, as the list changes', async () => {
    const a = fastPublisher(res);
    const [ea] = await a.listen('tcp://127.0.0.1:0');
    const b = fastPublisher(res);
    const [eb] = await b.listen('tcp://127.0.0.1:0');
    const resolver = new StaticResolver([ea as string]);
    const events: DiscoveryEvent[] = [];
    const sub = fastSubscriber(res, { resolver, onEndpointEvent: (e) => events.push(e) });
    const feed = sub.subscribe(Ticks);
    await sub.ready({ timeoutMs: 20_000 });
    expect(sub.endpoints).toEqual([ea]);
    await send(a, 1);
    expect((await take(feed, 1)).map((m) => m.publisher)).toEqual([a.id]);

    resolver.update([ea as string, eb as string]);
    expect(sub.endpoints).toEqual([ea, eb]);
    await within(sub.ready(), 20_000, 'both publishers connected');
    await send(b, 2);
    expect((await take(feed, 1)).map((m) => m.value.n)).toEqual([2]);

    resolver.update([eb as string]);
    expect(sub.endpoints).toEqual([eb]);
    expect(events.map((e) => e.type)).toEqual(['added', 'added', 'removed']);
    expect(sub.stats().resolutionErrors).toBe(0);
  });

  it('disconnects from a publisher the resolver removed; the others continue', async () => {
    const a = fastPublisher(res);
    const [ea] = await a.listen('tcp://127.0.0.1:0');
    const b = fastPublisher(res);
    const [eb] = await b.listen('tcp://127.0.0.1:0');
    const resolver = new StaticResolver([ea as string, eb as string]);
    const sub = fastSubscriber(res, { resolver });
    const feed = sub.subscribe(Ticks);
    await sub.ready({ timeoutMs: 20_000 });
    await a.waitForSubscribers(1, { topic: Ticks, timeoutMs: 20_000 });
    await b.waitForSubscribers(1, { topic: Ticks, timeoutMs: 20_000 });

    const aLeft = new Promise<void>((resolve) => a.on('disconnected', () => resolve()));
    resolver.update([eb as string]);
    expect(sub.endpoints).toEqual([eb]);
    await within(aLeft, 20_000, 'the subscriber to leave the removed publisher');
    await waitFor(() => a.subscriptions().length === 0, 'its subscription at a to go');
    await a.publish(Ticks, { n: 1 });
    await send(b, 2);
    const got = await take(feed, 1);
    expect(got.map((m) => [m.publisher, m.value.n])).toEqual([[b.id, 2]]);
    // Removing it again, or one never listed, changes nothing.
    resolver.update([eb as string]);
    await within(sub.ready(), 20_000, 'still ready on b');
  });

  it('a bad target is INVALID_ARGUMENT at once', () => {
    expect(() => createSubscriber({ endpoints: ['dns:///no-port'] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/host:port/),
      }),
    );
  });
});

describe.skipIf(!dnsmasqAvailable())('subscriber discovery over DNS (dnsmasq)', () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startDnsmasq({ domain: DOMAIN, ttlSeconds: 1 });
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('follows every publisher behind a name, and keeps them when the name stops resolving', async () => {
    // Two publishers on one port, at 127.0.0.1 and 127.0.0.2.
    let pubs: Publisher[] = [];
    let port = 0;
    for (let attempt = 0; pubs.length < 2; attempt++) {
      const first = fastPublisher(res);
      const [e] = await first.listen('tcp://127.0.0.1:0');
      port = Number(new URL(e as string).port);
      const second = fastPublisher(res);
      try {
        await second.listen(`tcp://127.0.0.2:${port}`);
        pubs = [first, second];
      } catch (error) {
        if (attempt > 5) throw error;
      }
    }
    await dns.setHosts([
      ['127.0.0.1', `pubs.${DOMAIN}`],
      ['127.0.0.2', `pubs.${DOMAIN}`],
    ]);
    const events: DiscoveryEvent[] = [];
    const sub = fastSubscriber(res, {
      endpoints: [`dns:///pubs.${DOMAIN}:${port}`],
      dns: { servers: [dns.server], minTtlMs: 100, retryMs: 100 },
      onEndpointEvent: (e) => events.push(e),
    });
    const feed = sub.subscribe(Ticks);
    // ready() waits for the name to resolve, then for both connections.
    await sub.ready({ timeoutMs: 20_000 });
    expect(sub.endpoints).toEqual([`tcp://127.0.0.1:${port}`, `tcp://127.0.0.2:${port}`]);
    await send(pubs[0] as Publisher, 1);
    await send(pubs[1] as Publisher, 2);
    const got = await take(feed, 2);
    expect(got.map((m) => m.value.n).sort()).toEqual([1, 2]);

    await dns.setHosts([]);
    await waitFor(() => events.some((e) => e.type === 'resolutionFailed'), 'the failure', 60_000);
    expect(events.find((e) => e.type === 'resolutionFailed')).toMatchObject({ kept: 2 });
    expect(sub.stats().resolutionErrors).toBeGreaterThanOrEqual(1);
    expect(sub.endpoints).toHaveLength(2);
    await send(pubs[1] as Publisher, 3);
    expect((await take(feed, 1)).map((m) => m.value.n)).toEqual([3]);
  });
});
