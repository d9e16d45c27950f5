// Discovery in the client, over the in-memory transport: a resolver's set
// changing at run time (joins, drains, removals), SRV-style weights and
// priorities, an empty set, and a resolver of one's own that fails.

import {
  createMemoryNetwork,
  type DiscoveryEvent,
  type ResolvedEndpoint,
  type Resolver,
  type ResolverUpdate,
  StaticResolver,
} from '@xsmb/transport';
import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClientOptions,
  Code,
  createClient,
  createServer,
  defineService,
  RpcError,
  unary,
} from '../src/index.js';
import { clientCore } from '../src/kit.js';

const Svc = defineService('test.Discovery', {
  who: unary<null, string>(),
  slow: unary<null, string>(),
});

const res = new Resources();
afterEach(() => res.closeAll());

/** Servers named by their endpoint, counting the calls each handled; `slow` waits for `release`. */
async function servers(count: number) {
  const net = createMemoryNetwork();
  const handled = new Map<string, number>();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const endpoints: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer({ transport: net.server() });
    res.defer(() => server.close({ graceMs: 0 }));
    const [endpoint] = await server.listen('memory://*');
    const name = endpoint as string;
    handled.set(name, 0);
    server.add(Svc, {
      who: () => {
        handled.set(name, (handled.get(name) ?? 0) + 1);
        return name;
      },
      slow: async () => {
        await gate;
        return name;
      },
    });
    endpoints.push(name);
  }
  return { net, endpoints, handled, release };
}

/** A resolver whose updates the test sends: what plugging Consul or etcd looks like. */
class PushedResolver implements Resolver {
  #latest: ResolverUpdate | undefined;
  readonly #listeners = new Set<(u: ResolverUpdate) => void>();
  push(update: ResolverUpdate): void {
    this.#latest = update;
    for (const l of this.#listeners) l(update);
  }
  subscribe(listener: (u: ResolverUpdate) => void): () => void {
    this.#listeners.add(listener);
    if (this.#latest) listener(this.#latest);
    return () => this.#listeners.delete(listener);
  }
  current(): ResolverUpdate | undefined {
    return this.#latest;
  }
  resolveNow(): Promise<ResolverUpdate> {
    return Promise.resolve(this.#latest ?? { endpoints: [] });
  }
  close(): void {
    this.#listeners.clear();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ResolverUpdate> {}
}

type Net = Awaited<ReturnType<typeof servers>>['net'];

/** A client of whatever `resolver` lists, over `net`, recording its discovery events. */
function discovering(net: Net, resolver: Resolver, options: Partial<ClientOptions> = {}) {
  const events: DiscoveryEvent[] = [];
  const client = res.add(
    createClient(Svc, {
      endpoints: [],
      resolver,
      transport: (e) => net.client(e),
      onEndpointEvent: (e) => events.push(e),
      ...options,
    }),
  );
  return { client, events };
}

const states = (client: object) =>
  Object.fromEntries(
    clientCore(client)
      .endpoints()
      .map((e) => [e.endpoint, e.state]),
  );
const one = (endpoint: string, weight = 1, priority = 0): ResolvedEndpoint => ({
  endpoint,
  weight,
  priority,
});

describe('client discovery', () => {
  it('follows a StaticResolver: new endpoints join, removed ones drain their calls, then close', async () => {
    const { net, endpoints, handled, release } = await servers(3);
    const [a, b, c] = endpoints as [string, string, string];
    const resolver = new StaticResolver([a]);
    const { client, events } = discovering(net, resolver, { loadBalancing: 'round-robin' });
    expect(await client.who(null)).toBe(a);
    // A call in flight on `a` when `a` leaves the set.
    const slow = client.slow(null, { timeoutMs: 60_000 });
    slow.catch(() => {}); // awaited below; not unhandled if an assertion fails first
    await waitFor(() => clientCore(client).endpoints()[0]?.outstanding === 1, 'the slow call');

    expect(events).toEqual([{ type: 'added', endpoint: a, weight: 1, priority: 0 }]);
    resolver.update([b, c]);
    expect(events.slice(1)).toEqual([
      { type: 'added', endpoint: b, weight: 1, priority: 0 },
      { type: 'added', endpoint: c, weight: 1, priority: 0 },
      { type: 'removed', endpoint: a },
    ]);
    expect(states(client)[a]).toBe('draining');
    await waitFor(() => states(client)[b] === 'ready' && states(client)[c] === 'ready', 'b and c');
    const before = handled.get(a);
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.who(null)));
    // No new call went to the draining endpoint; the others shared them.
    expect(handled.get(a)).toBe(before);
    expect(answers.filter((x) => x === b).length).toBeGreaterThan(0);
    expect(answers.filter((x) => x === c).length).toBeGreaterThan(0);
    expect(answers.filter((x) => x === b || x === c)).toHaveLength(20);
    // The call already on it finishes there; then its connection closes.
    expect(states(client)[a]).toBe('draining');
    release();
    expect(await slow).toBe(a);
    expect(Object.keys(states(client)).sort()).toEqual([b, c].sort());
    // Every call was handled exactly once.
    expect([...handled.values()].reduce((x, y) => x + y)).toBe(21);
    expect(clientCore(client).stats().resolutionErrors).toBe(0);
  });

  it('balances by weight within the best priority (SRV-style), falling back to the next priority', async () => {
    const { net, endpoints, handled } = await servers(3);
    const [a, b, c] = endpoints as [string, string, string];
    const resolver = new StaticResolver([one(a, 3), one(b, 1), one(c, 5, 1)]);
    const { client } = discovering(net, resolver, { loadBalancing: 'round-robin' });
    await waitFor(() => Object.values(states(client)).every((s) => s === 'ready'), 'connections');
    for (let i = 0; i < 40; i++) await client.who(null);
    expect([handled.get(a), handled.get(b), handled.get(c)]).toEqual([30, 10, 0]);
    // Priority 0 gone: priority 1 takes the calls.
    resolver.update([one(c, 5, 1)]);
    for (let i = 0; i < 5; i++) expect(await client.who(null)).toBe(c);
  });

  it('a GOAWAY from a server asks the resolver again, as a lost connection does', async () => {
    const net = createMemoryNetwork();
    const server = createServer({ transport: net.server() });
    res.defer(() => server.close({ graceMs: 0 }));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.add(Svc, { who: () => 'x', slow: () => gate.then(() => 'slow') });
    const [a] = (await server.listen('memory://*')) as [string];
    const resolver = new (class extends PushedResolver {
      asked = 0;
      override resolveNow(): Promise<ResolverUpdate> {
        this.asked++;
        return super.resolveNow();
      }
    })();
    resolver.push({ endpoints: [one(a)] });
    const { client } = discovering(net, resolver);
    expect(await client.who(null)).toBe('x');
    // A call in flight keeps the draining server up: the GOAWAY, not the
    // connection's loss, must be what asks.
    const slow = client.slow(null, { timeoutMs: 60_000 });
    slow.catch(() => {});
    await waitFor(() => clientCore(client).endpoints()[0]?.outstanding === 1, 'the slow call');
    expect(resolver.asked).toBe(0);
    const closing = server.close({ graceMs: 60_000 });
    await waitFor(() => states(client)[a] === 'draining', 'the GOAWAY');
    expect(resolver.asked).toBe(1);
    release();
    expect(await slow).toBe('slow');
    await closing;
  });

  it('least-outstanding weighs calls in flight by weight', async () => {
    const { net, endpoints, release } = await servers(2);
    const [a, b] = endpoints as [string, string];
    const { client } = discovering(net, new StaticResolver([one(a, 3), one(b, 1)]));
    await waitFor(() => Object.values(states(client)).every((s) => s === 'ready'), 'connections');
    const calls = Array.from({ length: 8 }, () => client.slow(null));
    const out = Object.fromEntries(
      clientCore(client)
        .endpoints()
        .map((e) => [e.endpoint, e.outstanding]),
    );
    expect([out[a], out[b]]).toEqual([6, 2]);
    release();
    await Promise.all(calls);
  });

  it('an empty set fails calls fast with UNAVAILABLE saying why, or waits with waitForReady', async () => {
    const { net, endpoints } = await servers(1);
    const resolver = new StaticResolver([]);
    const { client } = discovering(net, resolver);
    const err = await client.who(null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.UNAVAILABLE);
    expect((err as RpcError).rawMessage).toBe('no endpoint to call (resolver: 0 endpoints)');
    const waiting = client.who(null, { waitForReady: true, timeoutMs: 60_000 });
    resolver.update(endpoints);
    expect(await waiting).toBe(endpoints[0]);
  });

  it('a failing resolver of one’s own: the last good set stays, the failure is counted and told', async () => {
    const { net, endpoints } = await servers(1);
    const resolver = new PushedResolver();
    const { client, events } = discovering(net, resolver);
    // Before the resolver answered, calls wait for it (not fail).
    const early = client.who(null, { timeoutMs: 60_000 });
    resolver.push({ endpoints: [one(endpoints[0] as string)] });
    expect(await early).toBe(endpoints[0]);

    resolver.push({ endpoints: [one(endpoints[0] as string)], error: new Error('consul down') });
    expect(events.at(-1)).toMatchObject({ type: 'resolutionFailed', target: 'resolver', kept: 1 });
    expect(clientCore(client).stats().resolutionErrors).toBe(1);
    expect(await client.who(null)).toBe(endpoints[0]);
    expect(resolver.current()).toBeDefined();
  });

  it('a resolver that never had a good set fails calls with its error', async () => {
    const resolver = new PushedResolver();
    resolver.push({ endpoints: [], error: new Error('consul down') });
    const client = res.add(createClient(Svc, { endpoints: [], resolver }));
    await expect(client.who(null)).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
      rawMessage: 'no endpoint to call (resolver: consul down)',
    });
  });

  it('plain endpoints need no resolver; a bad target throws at createClient', () => {
    expect(() => createClient(Svc, { endpoints: [] })).toThrow(/endpoint or a resolver/);
    expect(() => createClient(Svc, { endpoints: ['dns:///no-port'] })).toThrow(
      /expected host:port/,
    );
  });
});
