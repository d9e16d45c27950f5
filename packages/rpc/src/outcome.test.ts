import { createMemoryNetwork } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, CallEndEvent, ClientInterceptor, RpcListener } from './call.js';
import { createClient } from './client.js';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';
import { createServer, type Server } from './server.js';
import { defineService } from './service.js';
import { unary } from './unary.js';

const Svc = defineService('test.Outcome', {
  missing: unary<null, null>(),
  broken: unary<null, null>(),
  wait: unary<{ ms: number }, { ok: boolean }>(),
  unencodable: unary<null, unknown>(),
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The error a call fails with (the test fails if it succeeds). */
function failure(p: Promise<unknown>): Promise<RpcError> {
  return p.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e as RpcError,
  );
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const impl = {
  missing(): null {
    throw new RpcError(Code.NOT_FOUND, 'no such row');
  },
  broken(): null {
    throw new TypeError('x is not a function');
  },
  async wait(req: { ms: number }, ctx: CallContext) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, req.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return { ok: true };
  },
  unencodable: () => ({ f: () => 1 }) as unknown,
};

async function setup(opts: { interceptors?: ClientInterceptor[]; expose?: boolean } = {}) {
  const net = createMemoryNetwork();
  const ends: CallEndEvent[] = [];
  const listener: RpcListener = { onCallEnd: (e) => ends.push(e) };
  const server: Server = createServer({
    transport: net.server(),
    listeners: [listener],
    ...(opts.expose ? { exposeInternalErrors: true } : {}),
  });
  server.add(Svc, impl);
  const [endpoint] = await server.listen('memory://*');
  const client = createClient(Svc, {
    endpoints: [endpoint as string],
    transport: (e) => net.client(e),
    ...(opts.interceptors ? { interceptors: opts.interceptors } : {}),
  });
  closers.push(
    () => client.close(),
    () => server.close({ graceMs: 0 }),
  );
  return { client, server, ends };
}

describe('server outcome', () => {
  it('reports the code the client got to onCallEnd and counts failures by code', async () => {
    const { client, server, ends } = await setup();
    await expect(client.missing(null)).rejects.toMatchObject({ code: Code.NOT_FOUND });
    const err = await failure(client.broken(null));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.message).not.toContain('x is not a function');
    await until(() => ends.length === 2);
    expect(ends.map((e) => e.code)).toEqual([Code.NOT_FOUND, Code.INTERNAL]);
    expect(ends[0]?.error?.message).toContain('no such row');
    // The server side keeps the real error for its logs.
    expect(ends[1]?.error?.message).toContain('x is not a function');
    expect(ends[1]?.error?.cause).toBeInstanceOf(TypeError);
    const stats = server.stats();
    expect(stats.failed).toBe(2);
    expect(stats.failedByCode).toEqual({ NOT_FOUND: 1, INTERNAL: 1 });
    expect(stats.cancelled).toBe(0);
  });

  it('records a deadline that expires on the server as DEADLINE_EXCEEDED, not a cancel', async () => {
    const { client, server, ends } = await setup();
    await expect(client.wait({ ms: 60_000 }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
    await until(() => ends.length === 1);
    expect(ends[0]?.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(server.stats().cancelled).toBe(0);
    expect(server.stats().failedByCode).toEqual({ DEADLINE_EXCEEDED: 1 });
  });

  it('still records a client abort as CANCELLED', async () => {
    const { client, server, ends } = await setup();
    const ac = new AbortController();
    const p = client.wait({ ms: 60_000 }, { signal: ac.signal });
    await until(() => server.stats().active === 1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: Code.CANCELLED });
    await until(() => ends.length === 1);
    expect(ends[0]?.code).toBe(Code.CANCELLED);
    expect(server.stats().cancelled).toBe(1);
  });

  it('hides the text of a response encode failure unless exposeInternalErrors', async () => {
    const { client, ends } = await setup();
    const err = await failure(client.unencodable(null));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.rawMessage).toBe('internal error');
    await until(() => ends.length === 1);
    expect(ends[0]?.code).toBe(Code.INTERNAL);
    expect(ends[0]?.error?.message).toMatch(/encode/);
  });

  it('sends the encode failure text when exposeInternalErrors is set', async () => {
    const { client } = await setup({ expose: true });
    const err = await failure(client.unencodable(null));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.message).toMatch(/encode/);
  });
});

describe('one deadline per call', () => {
  it('counts time spent in client interceptors against the budget', async () => {
    const slowInterceptor: ClientInterceptor = (next) => async (req) => {
      await new Promise((r) => setTimeout(r, 200));
      return next(req);
    };
    const { client } = await setup({ interceptors: [slowInterceptor] });
    const started = performance.now();
    const err = await failure(client.wait({ ms: 150 }, { timeoutMs: 250 }));
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(elapsed).toBeLessThan(350);
  });

  it('fails DEADLINE_EXCEEDED without sending when interceptors used up the budget', async () => {
    const seen: string[] = [];
    const slowInterceptor: ClientInterceptor = (next) => async (req) => {
      await new Promise((r) => setTimeout(r, 80));
      return next(req);
    };
    const { client, server } = await setup({ interceptors: [slowInterceptor] });
    const err = await failure(client.wait({ ms: 1 }, { timeoutMs: 20 }));
    expect((err as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(server.stats().started).toBe(0);
    expect(seen).toEqual([]);
  });

  it('lets an interceptor shorten the budget through timeoutMs or deadlineAt', async () => {
    const shorten: ClientInterceptor = (next) => (req) => {
      req.timeoutMs = 30;
      return next(req);
    };
    const { client } = await setup({ interceptors: [shorten] });
    await expect(client.wait({ ms: 60_000 }, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
  });
});

describe('size limits and health', () => {
  const Echo = defineService('test.Size', {
    echo: unary<{ s: string; n?: number }, { s: string }>(),
    wait: unary<{ ms: number }, null>(),
  });

  async function sized() {
    const net = createMemoryNetwork();
    const ends: CallEndEvent[] = [];
    const server = createServer({
      transport: net.server({ maxMessageBytes: 1000 }),
      listeners: [{ onCallEnd: (e) => ends.push(e) }],
    });
    server.add(Echo, {
      echo: (r) => ({ s: r.n ? 'x'.repeat(r.n) : r.s }),
      wait: (r) => new Promise((res) => setTimeout(() => res(null), r.ms)),
    });
    const [endpoint] = await server.listen('memory://*');
    const client = createClient(Echo, {
      endpoints: [endpoint as string],
      transport: (e) => net.client(e, { maxMessageBytes: 1000 }),
    });
    closers.push(
      () => client.close(),
      () => server.close({ graceMs: 0 }),
    );
    return { client, server, endpoint: endpoint as string, net, ends };
  }

  it('fails a request over the size limit with RESOURCE_EXHAUSTED and keeps the connection', async () => {
    const { client } = await sized();
    await expect(client.echo({ s: 'y'.repeat(5000) })).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
    await expect(client.echo({ s: 'ok' })).resolves.toEqual({ s: 'ok' });
  });

  it('answers a response over the size limit with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const { client, server, ends } = await sized();
    await expect(client.echo({ s: '', n: 5000 }, { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
    await expect(client.echo({ s: 'ok' })).resolves.toEqual({ s: 'ok' });
    expect(server.stats().failedByCode).toEqual({ RESOURCE_EXHAUSTED: 1 });
    expect(ends.map((e) => e.code)).toEqual([Code.RESOURCE_EXHAUSTED, Code.OK]);
  });

  it('reports DRAINING from the health service during close({ graceMs })', async () => {
    const { HealthService } = await import('./builtin.js');
    const { server, endpoint, net, client } = await sized();
    const health = createClient(HealthService, {
      endpoints: [endpoint],
      transport: (e) => net.client(e),
    });
    closers.push(() => health.close());
    await expect(health.check({})).resolves.toEqual({ status: 'SERVING' });
    const running = client.wait({ ms: 300 });
    await until(() => server.stats().active === 1);
    const closing = server.close({ graceMs: 5000 });
    // Other new calls are refused while draining; the health check still answers.
    await expect(health.check({})).resolves.toEqual({ status: 'DRAINING' });
    await expect(client.echo({ s: 'late' })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await running;
    await closing;
  });
});
