// Discovery against a real DNS server: dnsmasq on a free loopback port (the
// transport's test harness), ZeroMQ servers on 127.0.0.x sharing one port,
// so one name with several A records is several servers.

import type { DiscoveryEvent } from '@xsmb/transport';
import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dnsmasq,
  dnsmasqAvailable,
  startDnsmasq,
} from '../../transport/test/resolver-dnsmasq.js';
import {
  Code,
  createClient,
  createServer,
  defineService,
  type Server,
  unary,
} from '../src/index.js';
import { clientCore } from '../src/kit.js';

const available = dnsmasqAvailable();
if (!available)
  console.warn(
    '[rpc] DNS discovery tests skipped: dnsmasq is missing (apt-get install dnsmasq-base)',
  );

const DOMAIN = 'xsmb.test';
const Svc = defineService('test.Dns', { who: unary<null, string>() });

const res = new Resources();
afterEach(() => res.closeAll());

/** A server on `host:port` (port 0: a free one) answering with its address, counting calls. */
async function serve(host: string, port: number, handled: Map<string, number>) {
  const server: Server = createServer({});
  const [endpoint] = await server.listen(`tcp://${host}:${port}`);
  handled.set(host, 0);
  server.add(Svc, {
    who: () => {
      handled.set(host, (handled.get(host) ?? 0) + 1);
      return host;
    },
  });
  return { server, port: Number(new URL(endpoint as string).port) };
}

/** Three servers on 127.0.0.1-3 with one port (retried if another test took it on .2 or .3). */
async function threeServers(handled: Map<string, number>) {
  for (;;) {
    const first = await serve('127.0.0.1', 0, handled);
    try {
      const second = await serve('127.0.0.2', first.port, handled);
      const third = await serve('127.0.0.3', first.port, handled).catch(async (e: unknown) => {
        await second.server.close({ graceMs: 0 });
        throw e;
      });
      return { port: first.port, servers: [first.server, second.server, third.server] };
    } catch {
      await first.server.close({ graceMs: 0 });
    }
  }
}

describe.skipIf(!available)('client discovery over DNS (dnsmasq)', () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startDnsmasq({ domain: DOMAIN, ttlSeconds: 1 });
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('scales 1 -> 3 -> 2 servers under continuous load with no failed, lost or repeated call', async () => {
    const handled = new Map<string, number>();
    const { port, servers } = await threeServers(handled);
    const [s1, s2, s3] = servers as [Server, Server, Server];
    res.defer(() => s1.close({ graceMs: 0 }));
    res.defer(() => s3.close({ graceMs: 0 }));
    await dns.setHosts([['127.0.0.1', `svc.${DOMAIN}`]]);
    const events: DiscoveryEvent[] = [];
    const client = res.add(
      createClient(Svc, {
        endpoints: [`dns:///svc.${DOMAIN}:${port}`],
        // The 1 s TTL drives re-resolution (minTtlMs below it).
        dns: { servers: [dns.server], minTtlMs: 100 },
        onEndpointEvent: (e) => events.push(e),
        retry: false,
      }),
    );
    // Continuous load: 8 callers, each call awaited before the next.
    let running = true;
    let ok = 0;
    const failures: unknown[] = [];
    const callers = Array.from({ length: 8 }, async () => {
      while (running) {
        try {
          await client.who(null, { timeoutMs: 30_000 });
          ok++;
        } catch (e) {
          failures.push(e);
        }
      }
    });
    const total = () => [...handled.values()].reduce((a, b) => a + b, 0);
    await waitFor(() => (handled.get('127.0.0.1') ?? 0) > 50, 'calls to the first server');

    // 1 -> 3.
    await dns.setHosts([
      ['127.0.0.1', `svc.${DOMAIN}`],
      ['127.0.0.2', `svc.${DOMAIN}`],
      ['127.0.0.3', `svc.${DOMAIN}`],
    ]);
    const mark2 = handled.get('127.0.0.2') ?? 0;
    await waitFor(
      () => (handled.get('127.0.0.2') ?? 0) > mark2 + 50 && (handled.get('127.0.0.3') ?? 0) > 50,
      'calls to the new servers',
      60_000,
    );

    // 3 -> 2: out of DNS first; once the client has drained and closed its
    // connection, the server goes.
    await dns.setHosts([
      ['127.0.0.1', `svc.${DOMAIN}`],
      ['127.0.0.3', `svc.${DOMAIN}`],
    ]);
    const gone = `tcp://127.0.0.2:${port}`;
    await waitFor(
      () =>
        !clientCore(client)
          .endpoints()
          .some((e) => e.endpoint === gone),
      'the removed endpoint to drain and close',
      60_000,
    );
    const at2 = handled.get('127.0.0.2');
    await s2.close({ graceMs: 1000 });
    const mark1 = handled.get('127.0.0.1') ?? 0;
    const mark3 = handled.get('127.0.0.3') ?? 0;
    await waitFor(
      () =>
        (handled.get('127.0.0.1') ?? 0) > mark1 + 50 &&
        (handled.get('127.0.0.3') ?? 0) > mark3 + 50,
      'calls to the remaining servers',
      60_000,
    );
    running = false;
    await Promise.all(callers);

    expect(failures).toEqual([]);
    // Nothing went to the removed server once it was out; every call handled once.
    expect(handled.get('127.0.0.2')).toBe(at2);
    expect(total()).toBe(ok);
    // (A DNS query timing out on a loaded machine would add a
    // resolutionFailed, harmless: the set stays. Only the changes are checked.)
    const changes = events.flatMap((e) =>
      e.type === 'resolutionFailed' ? [] : [`${e.type} ${e.endpoint}`],
    );
    expect(changes).toEqual([
      `added tcp://127.0.0.1:${port}`,
      `added tcp://127.0.0.2:${port}`,
      `added tcp://127.0.0.3:${port}`,
      `removed ${gone}`,
    ]);
  });

  it('a name that stops resolving: the last good set stays, the failure is counted and told', async () => {
    const handled = new Map<string, number>();
    const { server, port } = await serve('127.0.0.1', 0, handled);
    res.defer(() => server.close({ graceMs: 0 }));
    await dns.setHosts([['127.0.0.1', `gone.${DOMAIN}`]]);
    const events: DiscoveryEvent[] = [];
    const client = res.add(
      createClient(Svc, {
        endpoints: [`dns:///gone.${DOMAIN}:${port}`],
        dns: { servers: [dns.server], minTtlMs: 100, retryMs: 100 },
        onEndpointEvent: (e) => events.push(e),
      }),
    );
    expect(await client.who(null)).toBe('127.0.0.1');
    await dns.setHosts([]);
    await waitFor(() => events.some((e) => e.type === 'resolutionFailed'), 'the failure', 60_000);
    expect(events.find((e) => e.type === 'resolutionFailed')).toMatchObject({
      target: `dns:///gone.${DOMAIN}:${port}`,
      kept: 1,
      error: { code: 'UNREACHABLE', message: `gone.${DOMAIN} does not resolve (ENOTFOUND)` },
    });
    expect(clientCore(client).stats().resolutionErrors).toBeGreaterThanOrEqual(1);
    // Still calling the server it knew.
    expect(await client.who(null)).toBe('127.0.0.1');

    // A client whose name never resolved fails fast, saying why.
    const never = res.add(
      createClient(Svc, {
        endpoints: [`dns:///never.${DOMAIN}:${port}`],
        dns: { servers: [dns.server] },
      }),
    );
    const err = await never.who(null).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: Code.UNAVAILABLE,
      rawMessage: `no endpoint to call (dns:///never.${DOMAIN}:${port}: never.${DOMAIN} does not resolve (ENOTFOUND))`,
    });
    // With waitForReady it waits (here until its deadline).
    await expect(never.who(null, { waitForReady: true, timeoutMs: 200 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
  });
});

describe.skipIf(!available)('client discovery over DNS SRV (dnsmasq)', () => {
  it('spreads calls by SRV weight, on the ports of the records', async () => {
    const handled = new Map<string, number>();
    const a = await serve('127.0.0.1', 0, handled);
    res.defer(() => a.server.close({ graceMs: 0 }));
    const b = await serve('127.0.0.2', 0, handled);
    res.defer(() => b.server.close({ graceMs: 0 }));
    const dns = await startDnsmasq({
      domain: DOMAIN,
      ttlSeconds: 1,
      srv: [
        `_who._tcp.${DOMAIN},a.${DOMAIN},${a.port},0,3`,
        `_who._tcp.${DOMAIN},b.${DOMAIN},${b.port},0,1`,
      ],
    });
    res.defer(() => dns.close());
    await dns.setHosts([
      ['127.0.0.1', `a.${DOMAIN}`],
      ['127.0.0.2', `b.${DOMAIN}`],
    ]);
    const client = res.add(
      createClient(Svc, {
        endpoints: [`dns+srv:///_who._tcp.${DOMAIN}`],
        dns: { servers: [dns.server] },
        loadBalancing: 'round-robin',
      }),
    );
    await waitFor(() => {
      const e = clientCore(client).endpoints();
      return e.length === 2 && e.every((x) => x.state === 'ready');
    }, 'both SRV targets connected');
    expect(
      clientCore(client)
        .endpoints()
        .map((e) => e.endpoint),
    ).toEqual([`tcp://127.0.0.1:${a.port}`, `tcp://127.0.0.2:${b.port}`]);
    for (let i = 0; i < 40; i++) await client.who(null);
    expect([handled.get('127.0.0.1'), handled.get('127.0.0.2')]).toEqual([30, 10]);
  });
});
