import { createMsgpackCodec } from '@xsmb/codec';
import { createMemoryNetwork, type MemoryNetwork } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallContext, ClientInterceptor, RpcListener, ServerInterceptor } from './call.js';
import { type ClientOptions, clientCore, createClient } from './client.js';
import { Code } from './code.js';
import { encodeRequest, PROTOCOL_VERSION } from './envelope.js';
import { RpcError } from './rpc-error.js';
import { createServer, type Server, type ServerOptions } from './server.js';
import { defineService } from './service.js';
import { unary } from './unary.js';

const Greeter = defineService('test.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
  slow: unary<{ ms: number }, { done: boolean }>(),
  fail: unary<{ how: string }, null>(),
  echoMeta: unary<null, { seen: Record<string, string> }>(),
  idem: unary<null, { n: number }>({ idempotent: true }),
});

const Checked = defineService('test.Checked', {
  add: unary({
    input: z.object({ a: z.number(), b: z.number() }),
    output: z.object({ sum: z.number() }),
  }),
});

/** Resolves when `cond()` holds; polls on macrotasks, bounded by `timeoutMs`. */
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface Fixture {
  net: MemoryNetwork;
  servers: Server[];
  clients: Array<{ close(): Promise<void> }>;
}

let fx: Fixture;

afterEach(async () => {
  await Promise.all(fx.clients.map((c) => c.close()));
  await Promise.all(fx.servers.map((s) => s.close({ graceMs: 0 })));
});

function greeterImpl(log: string[] = []) {
  return {
    hello: (req: { name: string }) => ({ greeting: `hi ${req.name}` }),
    async slow(req: { ms: number }, ctx: CallContext) {
      log.push('slow:start');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, req.ms);
        ctx.signal.addEventListener('abort', () => {
          log.push(`slow:aborted:${(ctx.signal.reason as RpcError).code}`);
          clearTimeout(timer);
          resolve();
        });
      });
      return { done: true };
    },
    fail(req: { how: string }): null {
      if (req.how === 'rpc') {
        throw new RpcError(Code.NOT_FOUND, 'no such thing', {
          details: { id: 7 },
          metadata: { why: 'gone' },
        });
      }
      if (req.how === 'plain') throw new Error('secret database password leaked');
      throw 'a string';
    },
    echoMeta(_: null, ctx: CallContext) {
      ctx.trailers['x-trailer'] = 'bye';
      const seen: Record<string, string> = {};
      for (const [k, v] of Object.entries(ctx.metadata))
        seen[k] = typeof v === 'string' ? v : `bin:${v.length}`;
      return { seen };
    },
    idem: () => ({ n: 1 }),
  };
}

async function setup(
  serverOptions: Omit<ServerOptions, 'transport'> = {},
  clientOptions: Partial<ClientOptions> = {},
  servers = 1,
  log: string[] = [],
) {
  const net = createMemoryNetwork();
  fx = { net, servers: [], clients: [] };
  const endpoints: string[] = [];
  for (let i = 0; i < servers; i++) {
    const server = createServer({ ...serverOptions, transport: net.server() });
    server.add(Greeter, greeterImpl(log));
    server.add(Checked, { add: ({ a, b }) => ({ sum: a + b }) });
    const [endpoint] = await server.listen('memory://*');
    fx.servers.push(server);
    endpoints.push(endpoint as string);
  }
  const client = createClient(Greeter, {
    endpoints,
    transport: (e) => net.client(e),
    ...clientOptions,
  });
  fx.clients.push(client);
  return { net, client, endpoints, server: fx.servers[0] as Server, log };
}

describe('rpc unary', () => {
  it('round-trips typed requests and responses', async () => {
    const { client } = await setup();
    await expect(client.hello({ name: 'ada' })).resolves.toEqual({ greeting: 'hi ada' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.hello({ name: `n${i}` })),
    );
    expect(results.map((r) => r.greeting)).toEqual(
      Array.from({ length: 50 }, (_, i) => `hi n${i}`),
    );
  });

  it('carries metadata both ways (headers and trailers)', async () => {
    const { client } = await setup({}, { metadata: { 'x-default': 'd', 'x-over': 'default' } });
    let trailers: Record<string, unknown> = {};
    const res = await client.echoMeta(null, {
      metadata: { 'x-over': 'call', bin: new Uint8Array([1, 2, 3]) },
      onTrailers: (t) => {
        trailers = t;
      },
    });
    expect(res.seen).toEqual({ 'x-default': 'd', 'x-over': 'call', bin: 'bin:3' });
    expect(trailers).toEqual({ 'x-trailer': 'bye' });
  });

  it('fails with DEADLINE_EXCEEDED at the deadline and aborts the handler signal', async () => {
    const { client, log } = await setup();
    const started = performance.now();
    const err = await client.slow({ ms: 60_000 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(5_000);
    await until(() => log.includes('slow:aborted:4') || log.includes('slow:aborted:1'));
    expect(log[0]).toBe('slow:start');
  });

  it('does not run a request whose deadline passed while it was queued', async () => {
    const { client, server } = await setup({ maxConcurrency: 1 });
    const first = client.slow({ ms: 300 }, { timeoutMs: 10_000 });
    await until(() => server.stats().active === 1);
    const second = client.slow({ ms: 1 }, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(((await second) as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    await first;
    await until(() => server.stats().active === 0 && server.stats().queued === 0);
    expect(server.stats().started).toBe(1);
    expect(server.stats().expiredInQueue).toBe(1);
  });

  it('rejects at once with CANCELLED on abort and the handler sees the cancel', async () => {
    const { client, server, log } = await setup();
    const ac = new AbortController();
    const call = client
      .slow({ ms: 60_000 }, { signal: ac.signal, timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    await until(() => log.includes('slow:start'));
    ac.abort();
    const err = (await call) as RpcError;
    expect(err.code).toBe(Code.CANCELLED);
    await until(() => log.includes('slow:aborted:1'));
    await until(() => server.stats().cancelled === 1);
  });

  it('fails before sending when the signal is already aborted or the budget is spent', async () => {
    const { client } = await setup();
    await expect(
      client.hello({ name: 'x' }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: Code.CANCELLED,
    });
    await expect(client.hello({ name: 'x' }, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
    expect(clientCore(client).stats().started).toBe(0);
  });

  it('maps handler errors: RpcError kept, plain Error hidden as INTERNAL, non-Error INTERNAL', async () => {
    const { client } = await setup();
    const rpc = (await client.fail({ how: 'rpc' }).catch((e: unknown) => e)) as RpcError;
    expect(rpc.code).toBe(Code.NOT_FOUND);
    expect(rpc.rawMessage).toBe('no such thing');
    expect(rpc.details).toEqual({ id: 7 });
    expect(rpc.metadata).toEqual({ why: 'gone' });
    const plain = (await client.fail({ how: 'plain' }).catch((e: unknown) => e)) as RpcError;
    expect(plain.code).toBe(Code.INTERNAL);
    expect(plain.rawMessage).toBe('internal error');
    expect(plain.details).toBeUndefined();
    const other = (await client.fail({ how: 'string' }).catch((e: unknown) => e)) as RpcError;
    expect(other.code).toBe(Code.INTERNAL);
  });

  it('exposes internal error messages and stacks only when asked to', async () => {
    const { client } = await setup({ exposeInternalErrors: true });
    const plain = (await client.fail({ how: 'plain' }).catch((e: unknown) => e)) as RpcError;
    expect(plain.code).toBe(Code.INTERNAL);
    expect(plain.rawMessage).toBe('secret database password leaked');
    expect(String((plain.details as { stack: string }).stack)).toContain('Error: secret database');
  });

  it('answers UNIMPLEMENTED for unknown services and methods', async () => {
    const { net, endpoints } = await setup();
    const Other = defineService('test.Other', { nope: unary<null, null>() });
    const Partial = defineService('test.Greeter', { missing: unary<null, null>() });
    const other = createClient(Other, { endpoints, transport: (e) => net.client(e) });
    const partial = createClient(Partial, { endpoints, transport: (e) => net.client(e) });
    fx.clients.push(other, partial);
    const a = (await other.nope(null).catch((e: unknown) => e)) as RpcError;
    expect(a.code).toBe(Code.UNIMPLEMENTED);
    expect(a.rawMessage).toBe('unknown service: test.Other/nope');
    const b = (await partial.missing(null).catch((e: unknown) => e)) as RpcError;
    expect(b.code).toBe(Code.UNIMPLEMENTED);
    expect(b.rawMessage).toBe('unknown method: test.Greeter/missing');
  });

  it('validates requests on the server (INVALID_ARGUMENT naming the field) and types from schemas', async () => {
    const { net, endpoints } = await setup();
    const client = createClient(Checked, { endpoints, transport: (e) => net.client(e) });
    fx.clients.push(client);
    await expect(client.add({ a: 1, b: 2 })).resolves.toEqual({ sum: 3 });
    const err = (await client
      .add({ a: 1, b: 'two' as unknown as number })
      .catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.rawMessage).toMatch(/request failed validation/);
    expect(err.rawMessage).toMatch(/\bb\b/);
  });

  it('answers malformed payloads with INVALID_ARGUMENT and other protocol versions with FAILED_PRECONDITION', async () => {
    const { net, endpoints } = await setup();
    const raw = net.client(endpoints[0] as string);
    await raw.ready({ timeoutMs: 5000 });
    const codec = createMsgpackCodec();
    const iterator = raw[Symbol.asyncIterator]();
    try {
      // A valid header [1, 1, 42, ...] followed by a truncated payload.
      const good = encodeRequest(codec, 42, 'test.Greeter/hello', 1000, undefined, {
        name: 'x'.repeat(40),
      });
      await raw.send(good.subarray(0, good.length - 10));
      const reply1 = codec.decode((await iterator.next()).value as Uint8Array) as unknown[];
      expect(reply1.slice(0, 4)).toEqual([PROTOCOL_VERSION, 3, 42, Code.INVALID_ARGUMENT]);

      const v2 = codec.encode([2, 1, 43, 'test.Greeter/hello', 1000, null, { name: 'x' }]);
      await raw.send(v2);
      const reply2 = codec.decode((await iterator.next()).value as Uint8Array) as unknown[];
      expect(reply2.slice(0, 4)).toEqual([PROTOCOL_VERSION, 3, 43, Code.FAILED_PRECONDITION]);
      expect(String(reply2[4])).toMatch(/unsupported protocol version 2/);

      // Garbage without a header is dropped and counted; the server keeps serving.
      await raw.send(new Uint8Array([0xc1, 0xc1, 0xc1]));
      await until(() => fx.servers[0]?.stats().protocolErrors === 3);
      const ok = encodeRequest(codec, 44, 'test.Greeter/hello', 1000, undefined, { name: 'y' });
      await raw.send(ok);
      const reply3 = codec.decode((await iterator.next()).value as Uint8Array) as unknown[];
      expect(reply3).toEqual([PROTOCOL_VERSION, 2, 44, null, { greeting: 'hi y' }]);
    } finally {
      await raw.close();
    }
  });

  it('runs interceptors in order, lets them change metadata and short-circuit', async () => {
    const order: string[] = [];
    const serverSide: ServerInterceptor = (next) => async (req) => {
      order.push(`server:${req.method}`);
      if (req.ctx.metadata['x-block'] === 'yes')
        throw new RpcError(Code.PERMISSION_DENIED, 'blocked');
      const res = await next(req);
      order.push('server:after');
      return res;
    };
    const outer: ClientInterceptor = (next) => async (req) => {
      order.push('outer:before');
      req.metadata['x-outer'] = '1';
      const res = await next(req);
      order.push('outer:after');
      return res;
    };
    const inner: ClientInterceptor = (next) => async (req) => {
      order.push('inner:before');
      if (req.method === 'idem') return { stream: false, message: { n: 99 }, trailers: {} };
      const res = await next(req);
      order.push('inner:after');
      return res;
    };
    const { client } = await setup(
      { interceptors: [serverSide] },
      { interceptors: [outer, inner] },
    );
    const res = await client.echoMeta(null);
    expect(res.seen['x-outer']).toBe('1');
    expect(order).toEqual([
      'outer:before',
      'inner:before',
      'server:echoMeta',
      'server:after',
      'inner:after',
      'outer:after',
    ]);
    order.length = 0;
    await expect(client.idem(null)).resolves.toEqual({ n: 99 });
    expect(order).toEqual(['outer:before', 'inner:before', 'outer:after']);
    await expect(
      client.hello({ name: 'x' }, { metadata: { 'x-block': 'yes' } }),
    ).rejects.toMatchObject({
      code: Code.PERMISSION_DENIED,
    });
  });

  it('runs the server-wide authorize hook before handlers', async () => {
    let ran = 0;
    const { client } = await setup({
      authorize: async (req) => {
        if (req.ctx.metadata.authorization !== 'Bearer ok')
          throw new RpcError(Code.UNAUTHENTICATED, 'who are you');
      },
      interceptors: [
        (next) => (req) => {
          ran++;
          return next(req);
        },
      ],
    });
    await expect(client.hello({ name: 'a' })).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    expect(ran).toBe(0);
    await expect(
      client.hello({ name: 'a' }, { metadata: { authorization: 'Bearer ok' } }),
    ).resolves.toEqual({
      greeting: 'hi a',
    });
    expect(ran).toBe(1);
  });

  it('lets a client interceptor retry', async () => {
    let attempts = 0;
    const flaky: ServerInterceptor = (next) => async (req) => {
      attempts++;
      if (attempts < 3) throw new RpcError(Code.ABORTED, 'try again');
      return next(req);
    };
    const retry: ClientInterceptor = (next) => async (req) => {
      for (let i = 0; ; i++) {
        try {
          return await next(req);
        } catch (e) {
          if (i >= 5 || !(e instanceof RpcError) || e.code !== Code.ABORTED) throw e;
        }
      }
    };
    const { client } = await setup({ interceptors: [flaky] }, { interceptors: [retry] });
    await expect(client.hello({ name: 'r' })).resolves.toEqual({ greeting: 'hi r' });
    expect(attempts).toBe(3);
  });

  it('notifies listeners of every message and outcome, and survives listeners that throw', async () => {
    const seen: string[] = [];
    const recorder: RpcListener = {
      onCallStart: (e) => seen.push(`${e.side}:start`),
      onMessage: (e) => seen.push(`${e.side}:${e.direction}:${e.kind}`),
      onCallEnd: (e) => seen.push(`${e.side}:end:${e.code}`),
    };
    const thrower: RpcListener = {
      onCallStart: () => {
        throw new Error('boom');
      },
      onMessage: () => {
        throw new Error('boom');
      },
      onCallEnd: () => {
        throw new Error('boom');
      },
    };
    const { client, server } = await setup(
      { listeners: [thrower, recorder] },
      { listeners: [recorder, thrower] },
    );
    await expect(client.hello({ name: 'l' })).resolves.toEqual({ greeting: 'hi l' });
    await until(() => seen.includes('server:end:0'));
    expect(seen).toEqual([
      'client:start',
      'client:out:request',
      'server:start',
      'server:in:request',
      'server:out:response',
      'server:end:0',
      'client:in:response',
      'client:end:0',
    ]);
    expect(server.stats().listenerErrors).toBeGreaterThanOrEqual(4);
    expect(clientCore(client).stats().listenerErrors).toBeGreaterThanOrEqual(4);
  });

  it('refuses with RESOURCE_EXHAUSTED and a retry hint when concurrency and queue are full', async () => {
    const { client, server } = await setup({
      maxConcurrency: 2,
      maxQueuedCalls: 3,
      retryAfterMs: 25,
    });
    const calls = Array.from({ length: 10 }, () =>
      client.slow({ ms: 200 }, { timeoutMs: 30_000 }).then(
        () => 'ok',
        (e: RpcError) => e,
      ),
    );
    const results = await Promise.all(calls);
    const refused = results.filter((r): r is RpcError => r instanceof RpcError);
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(refused).toHaveLength(5);
    for (const e of refused) {
      expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(e.metadata['xsmb-retry-after-ms']).toBe('25');
    }
    expect(server.stats().rejected).toBe(5);
  });

  it('applies client backpressure with maxInFlight', async () => {
    const { client, server } = await setup({}, { maxInFlight: 3 });
    let maxActive = 0;
    const watch = setInterval(() => {
      maxActive = Math.max(maxActive, server.stats().active);
    }, 1);
    try {
      const calls = Array.from({ length: 12 }, () => client.slow({ ms: 20 }));
      await until(() => clientCore(client).stats().queued > 0);
      expect(clientCore(client).stats().inFlight).toBeLessThanOrEqual(3);
      await Promise.all(calls);
    } finally {
      clearInterval(watch);
    }
    expect(maxActive).toBeLessThanOrEqual(3);
    expect(clientCore(client).stats().inFlight).toBe(0);
  });

  it('spreads load over two servers and skips a dead one', async () => {
    const { client, net, endpoints } = await setup({}, { loadBalancing: 'round-robin' }, 2);
    const core = clientCore(client);
    await until(() => core.endpoints().every((e) => e.state === 'ready'));
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.hello({ name: `${i}` })));
    const started = fx.servers.map((s) => s.stats().started);
    expect(started[0]).toBe(50);
    expect(started[1]).toBe(50);
    net.faults.kill(endpoints[0] as string);
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.hello({ name: `${i}` })));
    expect(fx.servers[1]?.stats().started).toBe(70);
  });

  it('fails in-flight calls with UNAVAILABLE when the connection drops, well before the deadline', async () => {
    const { client, net, endpoints } = await setup();
    await client.hello({ name: 'warm' });
    const started = performance.now();
    const call = client.slow({ ms: 60_000 }, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    await until(() => (fx.servers[0]?.stats().active ?? 0) === 1);
    net.faults.kill(endpoints[0] as string);
    const err = (await call) as RpcError;
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('cancels the handlers of a client that disconnects', async () => {
    const { client, server, net, endpoints, log } = await setup();
    const endpoint = endpoints[0] as string;
    const call = client.slow({ ms: 60_000 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await until(() => log.includes('slow:start'));
    net.faults.disconnect(endpoint, { reconnect: false });
    await until(() => log.includes('slow:aborted:14'));
    expect(((await call) as RpcError).code).toBe(Code.UNAVAILABLE);
    await until(() => server.stats().active === 0);
    expect(server.stats().peerLost).toBe(1);
  });

  it('fails fast with UNAVAILABLE when no endpoint is up, or waits until the deadline with waitForReady', async () => {
    const net = createMemoryNetwork();
    const client = createClient(Greeter, {
      endpoints: ['memory://nobody'],
      transport: (e) => net.client(e),
      connectTimeoutMs: 20,
    });
    fx = { net, servers: [], clients: [client] };
    await until(() => clientCore(client).endpoints()[0]?.state === 'failing');
    await expect(client.hello({ name: 'x' })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await expect(
      client.hello({ name: 'x' }, { waitForReady: true, timeoutMs: 30 }),
    ).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
    const pending = client.hello({ name: 'late' }, { waitForReady: true, timeoutMs: 30_000 });
    const server = createServer({ transport: net.server() });
    server.add(Greeter, greeterImpl());
    await server.listen('memory://nobody');
    fx.servers.push(server);
    await expect(pending).resolves.toEqual({ greeting: 'hi late' });
  });

  it('retries idempotent methods on UNAVAILABLE within the deadline, and only those', async () => {
    let attempts = 0;
    const flaky: ServerInterceptor = (next) => async (req) => {
      attempts++;
      if (attempts % 3 !== 0) throw new RpcError(Code.UNAVAILABLE, 'busy');
      return next(req);
    };
    const { client } = await setup(
      { interceptors: [flaky] },
      { retry: { maxAttempts: 4, initialBackoffMs: 1 } },
    );
    await expect(client.idem(null, { timeoutMs: 10_000 })).resolves.toEqual({ n: 1 });
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(client.hello({ name: 'x' })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(attempts).toBe(1);
  });

  it('does not retry methods that are not idempotent', async () => {
    const { client, net, endpoints } = await setup(
      {},
      { retry: { maxAttempts: 4, initialBackoffMs: 1 } },
    );
    await client.hello({ name: 'warm' });
    const core = clientCore(client);
    const before = core.stats().started;
    const call = client.slow({ ms: 60_000 }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await until(() => core.stats().started === before + 1);
    net.faults.disconnect(endpoints[0] as string);
    expect(((await call) as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(core.stats().started).toBe(before + 1);
  });

  it('shuts down gracefully: running calls finish, new calls get UNAVAILABLE', async () => {
    const { client, server } = await setup();
    const running = client.slow({ ms: 150 }, { timeoutMs: 10_000 });
    await until(() => server.stats().active === 1);
    const closing = server.close({ graceMs: 10_000 });
    await expect(client.hello({ name: 'late' })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await expect(running).resolves.toEqual({ done: true });
    await closing;
  });

  it('cancels calls still running when the grace period ends', async () => {
    const { client, server, log } = await setup();
    const running = client.slow({ ms: 60_000 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await until(() => log.includes('slow:start'));
    await server.close({ graceMs: 20 });
    expect(((await running) as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(log).toContain('slow:aborted:14');
  });

  it('fails pending calls with CANCELLED when the client closes', async () => {
    const { client } = await setup();
    const pending = client.slow({ ms: 60_000 }).catch((e: unknown) => e);
    await until(() => fx.servers[0]?.stats().active === 1);
    await client.close();
    expect(((await pending) as RpcError).code).toBe(Code.CANCELLED);
    await expect(client.hello({ name: 'x' })).rejects.toMatchObject({ code: Code.CANCELLED });
  });

  it('settles 10,000 concurrent calls', async () => {
    const { client } = await setup();
    const results = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        client.hello({ name: String(i) }, { timeoutMs: 60_000 }),
      ),
    );
    expect(results).toHaveLength(10_000);
    expect(results[9_999]).toEqual({ greeting: 'hi 9999' });
    expect(clientCore(client).stats().inFlight).toBe(0);
  });

  it('passes deadline and cancellation from a handler to the calls it makes', async () => {
    const net = createMemoryNetwork();
    const budgets: number[] = [];
    const Back = defineService('test.Back', { leaf: unary<null, { budget: number }>() });
    const Front = defineService('test.Front', {
      hop: unary<null, { budget: number; leafBudget: number }>(),
    });
    const back = createServer({ transport: net.server() });
    back.add(Back, {
      leaf: (_, ctx) => {
        budgets.push(ctx.timeRemainingMs());
        return { budget: ctx.timeRemainingMs() };
      },
    });
    const [backEp] = await back.listen('memory://*');
    const backClient = createClient(Back, {
      endpoints: [backEp as string],
      transport: (e) => net.client(e),
    });
    const front = createServer({ transport: net.server() });
    front.add(Front, {
      async hop(_, ctx) {
        await new Promise((r) => setTimeout(r, 30));
        const leaf = await backClient.leaf(null, { parent: ctx });
        return { budget: ctx.timeRemainingMs(), leafBudget: leaf.budget };
      },
    });
    const [frontEp] = await front.listen('memory://*');
    const frontClient = createClient(Front, {
      endpoints: [frontEp as string],
      transport: (e) => net.client(e),
    });
    fx = { net, servers: [back, front], clients: [frontClient, backClient] };
    const res = await frontClient.hop(null, { timeoutMs: 5_000 });
    // setTimeout(30) may fire a fraction of a millisecond early by the
    // monotonic clock the budget is read from: allow 1 ms.
    expect(res.leafBudget).toBeLessThanOrEqual(5_000 - 29);
    expect(res.leafBudget).toBeGreaterThan(0);
    expect(res.budget).toBeLessThanOrEqual(res.leafBudget + 1);
  });

  it('serves health and reflection', async () => {
    const { net, endpoints, server } = await setup();
    const { HealthService, ReflectionService } = await import('./builtin.js');
    const health = createClient(HealthService, { endpoints, transport: (e) => net.client(e) });
    const reflection = createClient(ReflectionService, {
      endpoints,
      transport: (e) => net.client(e),
    });
    fx.clients.push(health, reflection);
    await expect(health.check({})).resolves.toEqual({ status: 'SERVING' });
    await expect(health.check({ service: 'nope' })).resolves.toEqual({ status: 'SERVICE_UNKNOWN' });
    server.setHealth('NOT_SERVING');
    await expect(health.check({ service: 'test.Greeter' })).resolves.toEqual({
      status: 'NOT_SERVING',
    });
    const list = await reflection.list({});
    const names = list.services.map((s) => s.name);
    expect(names).toEqual(['xsmb.health.v1', 'xsmb.reflection.v1', 'test.Greeter', 'test.Checked']);
    const add = list.services.find((s) => s.name === 'test.Checked')?.methods[0];
    expect(add).toMatchObject({ name: 'add', kind: 'unary', idempotent: false });
    expect(add?.inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] });
  });
});
