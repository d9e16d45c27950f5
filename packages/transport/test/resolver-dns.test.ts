import { waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResolver,
  DnsResolver,
  type DnsResolverOptions,
  type ResolverUpdate,
  StaticResolver,
} from '../src/index.js';
import { type Dnsmasq, dnsmasqAvailable, startDnsmasq } from './resolver-dnsmasq.js';

const available = dnsmasqAvailable();
if (!available)
  console.warn('[resolver] DNS tests skipped: dnsmasq is missing (apt-get install dnsmasq-base)');

const DOMAIN = 'xsmb.test';

describe.skipIf(!available)('DnsResolver against dnsmasq', () => {
  let dns: Dnsmasq;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    dns = await startDnsmasq({
      domain: DOMAIN,
      ttlSeconds: 1,
      srv: [
        `_orders._tcp.${DOMAIN},a.${DOMAIN},7001,0,10`,
        `_orders._tcp.${DOMAIN},b.${DOMAIN},7002,1,5`,
      ],
    });
  });
  afterAll(async () => {
    for (const close of closers) close();
    await dns?.close();
  });

  /** A resolver on the test's dnsmasq, closed after the file; long refreshes unless asked. */
  const resolver = (target: string, options: DnsResolverOptions = {}) => {
    const r = new DnsResolver(target, { servers: [dns.server], minTtlMs: 60_000, ...options });
    closers.push(() => r.close());
    return r;
  };
  const endpoints = (u: ResolverUpdate | undefined) => u?.endpoints.map((e) => e.endpoint);

  it('follows a service scaled 1 -> 3 -> 2 (A records), seen by subscribers and iterators', async () => {
    await dns.setHosts([['10.9.0.1', `svc.${DOMAIN}`]]);
    const r = resolver(`dns:///svc.${DOMAIN}:7000`);
    const seen: (string[] | undefined)[] = [];
    r.subscribe((u) => seen.push(endpoints(u)));
    const iterated: (string[] | undefined)[] = [];
    const iterating = (async () => {
      for await (const u of r) iterated.push(endpoints(u));
    })();

    expect(endpoints(await r.resolveNow())).toEqual(['tcp://10.9.0.1:7000']);
    await dns.setHosts([
      ['10.9.0.1', `svc.${DOMAIN}`],
      ['10.9.0.2', `svc.${DOMAIN}`],
      ['10.9.0.3', `svc.${DOMAIN}`],
    ]);
    expect(endpoints(await r.resolveNow())).toEqual([
      'tcp://10.9.0.1:7000',
      'tcp://10.9.0.2:7000',
      'tcp://10.9.0.3:7000',
    ]);
    await waitFor(() => iterated.length === 2, 'the iterator to see 3');
    // Scale down, with an IPv6 address joining.
    await dns.setHosts([
      ['10.9.0.3', `svc.${DOMAIN}`],
      ['fd00::9', `svc.${DOMAIN}`],
    ]);
    const two = await r.resolveNow();
    expect(endpoints(two)).toEqual(['tcp://10.9.0.3:7000', 'tcp://[fd00::9]:7000']);
    expect(two.error).toBeUndefined();
    expect(two.endpoints.every((e) => e.weight === 1 && e.priority === 0)).toBe(true);
    // Resolving again with nothing changed reports nothing new.
    await r.resolveNow();
    await waitFor(() => iterated.length === 3, 'the iterator to see 2');
    r.close();
    await within(iterating, 10_000, 'the iterator to end at close');
    expect(seen.map((s) => s?.length)).toEqual([1, 3, 2]);
    expect(iterated).toEqual(seen);
  });

  it('a name that stops resolving reports the error and keeps the last good set', async () => {
    await dns.setHosts([['10.9.1.1', `gone.${DOMAIN}`]]);
    const r = resolver(`dns:///gone.${DOMAIN}:7000`);
    const updates: ResolverUpdate[] = [];
    r.subscribe((u) => updates.push(u));
    expect(endpoints(await r.resolveNow())).toEqual(['tcp://10.9.1.1:7000']);

    await dns.setHosts([]);
    const failed = await r.resolveNow();
    expect(failed.error?.message).toMatch(/gone\.xsmb\.test does not resolve \(ENOTFOUND\)/);
    expect((failed.error as { code?: string }).code).toBe('UNREACHABLE');
    expect(endpoints(failed)).toEqual(['tcp://10.9.1.1:7000']);
    // The same failure again is not reported twice.
    await r.resolveNow();
    expect(updates).toHaveLength(2);

    await dns.setHosts([['10.9.1.2', `gone.${DOMAIN}`]]);
    const back = await r.resolveNow();
    expect(back.error).toBeUndefined();
    expect(endpoints(back)).toEqual(['tcp://10.9.1.2:7000']);
    expect(updates).toHaveLength(3);
  });

  it('re-resolves by itself when the TTL runs out, within the min/max bounds', async () => {
    await dns.setHosts([['10.9.2.1', `ttl.${DOMAIN}`]]);
    // TTL 1 s, floor 100 ms: refreshes about every second by itself.
    const fast = resolver(`dns:///ttl.${DOMAIN}:7000`, { minTtlMs: 100 });
    // A floor of 60 s overrides the 1 s TTL.
    const floored = resolver(`dns:///ttl.${DOMAIN}:7000`, { minTtlMs: 60_000 });
    // A 1 s TTL capped at 300 ms by maxTtlMs (minTtlMs below it).
    const capped = resolver(`dns:///ttl.${DOMAIN}:7000`, { minTtlMs: 10, maxTtlMs: 300 });
    for (const r of [fast, floored, capped]) await r.resolveNow();
    expect(endpoints(floored.current())).toEqual(['tcp://10.9.2.1:7000']);

    await dns.setHosts([['10.9.2.2', `ttl.${DOMAIN}`]]);
    const changed = (r: DnsResolver) => endpoints(r.current())?.[0] === 'tcp://10.9.2.2:7000';
    await waitFor(() => changed(fast) && changed(capped), 'the TTL-driven refresh', 30_000);
    // Far less than the 60 s floor has passed: the floored one has not asked again.
    expect(endpoints(floored.current())).toEqual(['tcp://10.9.2.1:7000']);
  });

  it('dns+srv: ports, priorities and weights of each SRV target', async () => {
    await dns.setHosts([
      ['10.9.3.1', `a.${DOMAIN}`],
      ['10.9.3.2', `a.${DOMAIN}`],
      ['10.9.3.3', `b.${DOMAIN}`],
    ]);
    const r = resolver(`dns+srv:///_orders._tcp.${DOMAIN}`);
    const u = await r.resolveNow();
    expect(u.error).toBeUndefined();
    expect(u.endpoints).toEqual([
      { endpoint: 'tcp://10.9.3.1:7001', weight: 10, priority: 0 },
      { endpoint: 'tcp://10.9.3.2:7001', weight: 10, priority: 0 },
      { endpoint: 'tcp://10.9.3.3:7002', weight: 5, priority: 1 },
    ]);
    // One target gone: the others stay.
    await dns.setHosts([['10.9.3.3', `b.${DOMAIN}`]]);
    expect(endpoints(await r.resolveNow())).toEqual(['tcp://10.9.3.3:7002']);
    // Every target gone: an error, and the last good set.
    await dns.setHosts([]);
    const none = await r.resolveNow();
    expect(none.error?.message).toMatch(/no target of _orders\._tcp\.xsmb\.test resolves/);
    expect(endpoints(none)).toEqual(['tcp://10.9.3.3:7002']);
    // An SRV name with no records at all.
    const missing = await resolver(`dns+srv:///_nothing._tcp.${DOMAIN}`).resolveNow();
    expect(missing.error?.message).toMatch(/_nothing\._tcp\.xsmb\.test does not resolve/);
    expect(missing.endpoints).toEqual([]);
  });

  it('a DNS server in the target, and a server that does not answer', async () => {
    await dns.setHosts([['10.9.4.1', `auth.${DOMAIN}`]]);
    const r = new DnsResolver(`dns://${dns.server}/auth.${DOMAIN}:7000`, { minTtlMs: 60_000 });
    closers.push(() => r.close());
    expect(endpoints(await r.resolveNow())).toEqual(['tcp://10.9.4.1:7000']);
    // Nobody listens on port 9 (discard): the query times out or is refused.
    const dead = resolver(`dns:///auth.${DOMAIN}:7000`, {
      servers: ['127.0.0.1:9'],
      queryTimeoutMs: 200,
      tries: 1,
    });
    const u = await within(dead.resolveNow(), 20_000, 'the dead server to fail');
    expect(u.error).toBeDefined();
    expect(u.endpoints).toEqual([]);
  });
});

describe('createResolver', () => {
  it('a plain endpoint gives a static resolver', async () => {
    const r = createResolver('tcp://127.0.0.1:7000');
    expect(r).toBeInstanceOf(StaticResolver);
    expect((await r.resolveNow()).endpoints).toEqual([
      { endpoint: 'tcp://127.0.0.1:7000', weight: 1, priority: 0 },
    ]);
    r.close();
  });

  it('an address in a dns: target needs no lookup', async () => {
    const r = createResolver('dns:///[fd00::7]:7000', { servers: ['127.0.0.1:9'], tries: 1 });
    expect(await r.resolveNow()).toEqual({
      endpoints: [{ endpoint: 'tcp://[fd00::7]:7000', weight: 1, priority: 0 }],
    });
    r.close();
  });

  it('a dns: target gives a DNS resolver', () => {
    const r = createResolver('dns:///example.invalid:7000', {
      servers: ['127.0.0.1:9'],
      queryTimeoutMs: 50,
      tries: 1,
    });
    expect(r).toBeInstanceOf(DnsResolver);
    r.close();
  });
});
