import {
  type CallContext,
  type ClientInterceptor,
  Code,
  createClient,
  createServer,
  defineService,
  RpcError,
  type RpcListener,
  type Server,
  type ServerInterceptor,
} from '@xsmb/rpc';
import { clientCore } from '@xsmb/rpc/kit';
import { createMemoryNetwork } from '@xsmb/transport';
import { waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bidiStream, clientStream, serverStream } from './kinds.js';

const Svc = defineService('test.Streams', {
  count: serverStream<{ n: number; failAt?: number }, { i: number }>({
    windowMessages: 8,
    windowBytes: 1024,
  }),
  forever: serverStream<null, { i: number }>({ windowMessages: 4 }),
  sum: clientStream<{ name: string }, { v: number }, { total: number; count: number }>({
    windowMessages: 8,
  }),
  echo: bidiStream<{ prefix: string }, string, string>({ windowMessages: 4 }),
  guarded: clientStream<{ token: string }, number, number>(),
  checked: serverStream({
    input: z.object({ n: z.number().int() }),
    output: z.object({ i: z.number() }),
  }),
});

/** Waits until `cond` holds (polled; bounded by a generous timeout). */
function until(cond: () => boolean): Promise<void> {
  return waitFor(cond, 'the condition');
}

/**
 * Lets every piece of work already under way finish: the memory transport
 * and the stream machinery run on promises and setImmediate only (no
 * timers), so after these turns of the event loop anything that could still
 * happen without new input has happened. A barrier in turns, not a sleep.
 */
async function quiescent(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Log {
  events: string[];
  received: number[];
}

function impl(log: Log) {
  return {
    async *count(req: { n: number; failAt?: number }, ctx: CallContext) {
      for (let i = 0; i < req.n; i++) {
        if (i === req.failAt) {
          ctx.trailers['x-progress'] = String(i);
          throw new RpcError(Code.DATA_LOSS, 'lost it', { details: { at: i } });
        }
        yield { i };
      }
      ctx.trailers['x-count'] = String(req.n);
    },
    async *forever(_: null, ctx: CallContext) {
      let i = 0;
      try {
        for (;;) {
          log.events.push(`yield:${i}`);
          yield { i: i++ };
        }
      } finally {
        log.events.push(`finally:aborted=${ctx.signal.aborted}`);
      }
    },
    async sum(open: { name: string }, chunks: AsyncIterable<{ v: number }>, ctx: CallContext) {
      let total = 0;
      let count = 0;
      for await (const c of chunks) {
        log.received.push(c.v);
        total += c.v;
        count++;
      }
      ctx.trailers['x-name'] = open.name;
      return { total, count };
    },
    async *echo(open: { prefix: string }, incoming: AsyncIterable<string>) {
      for await (const m of incoming) yield `${open.prefix}${m}`;
    },
    guarded: {
      authorize(open: { token: string }) {
        log.events.push(`authorize:${open.token}`);
        if (open.token !== 'ok') throw new RpcError(Code.PERMISSION_DENIED, 'bad token');
      },
      async handler(_: { token: string }, chunks: AsyncIterable<number>) {
        let n = 0;
        for await (const c of chunks) {
          log.received.push(c);
          n++;
        }
        return n;
      },
    },
    async *checked(req: { n: number }) {
      for (let i = 0; i < req.n; i++) yield { i };
    },
  };
}

async function setup(
  serverOptions: { interceptors?: ServerInterceptor[]; listeners?: RpcListener[] } = {},
  clientOptions: { interceptors?: ClientInterceptor[]; listeners?: RpcListener[] } = {},
) {
  const net = createMemoryNetwork();
  const log: Log = { events: [], received: [] };
  const server: Server = createServer({ ...serverOptions, transport: net.server() });
  server.add(Svc, impl(log));
  const [endpoint] = await server.listen('memory://*');
  const client = createClient(Svc, {
    endpoints: [endpoint as string],
    transport: (e) => net.client(e),
    ...clientOptions,
  });
  cleanups.push(
    () => server.close({ graceMs: 0 }),
    () => client.close(),
  );
  return { net, server, client, log };
}

describe('server streams', () => {
  it('delivers every message in order with trailers', async () => {
    const { client } = await setup();
    const call = client.count({ n: 1000 });
    const got: number[] = [];
    for await (const m of call) got.push(m.i);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await expect(call.trailers).resolves.toEqual({ 'x-count': '1000' });
  });

  it('ends with the handler error, its code, details and trailers, after the messages before it', async () => {
    const { client } = await setup();
    const call = client.count({ n: 100, failAt: 20 });
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of call) got.push(m.i);
    })().catch((e: unknown) => e);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.DATA_LOSS);
    expect((err as RpcError).details).toEqual({ at: 20 });
    expect((err as RpcError).metadata).toEqual({ 'x-progress': '20' });
    await expect(call.trailers).rejects.toMatchObject({ code: Code.DATA_LOSS });
  });

  it('never has more than a window in flight: a consumer that does not read stops the producer', async () => {
    const { client, log } = await setup();
    const call = client.forever(null);
    const it = call[Symbol.asyncIterator]();
    await it.next();
    // The window is 4 messages and one read grants nothing back (half a
    // window is 2): the generator is pulled exactly 4 times, then waits.
    await until(() => log.events.length >= 4);
    await quiescent();
    expect(log.events).toEqual(['yield:0', 'yield:1', 'yield:2', 'yield:3']);
    await it.return?.();
  });

  it('breaking out of for-await cancels the server: its generator finally runs with the signal aborted', async () => {
    const { client, log, server } = await setup();
    let n = 0;
    for await (const m of client.forever(null)) {
      n = m.i;
      if (n === 50) break;
    }
    await until(() => log.events.some((e) => e.startsWith('finally:')));
    expect(log.events).toContain('finally:aborted=true');
    await until(() => server.stats().active === 0);
    expect(server.stats().cancelled).toBe(1);
  });

  it('cancel() and an aborted signal end the iteration with CANCELLED and stop the generator', async () => {
    const { client, log } = await setup();
    const call = client.forever(null);
    const it = call[Symbol.asyncIterator]();
    await it.next();
    call.cancel();
    await expect(it.next()).rejects.toMatchObject({ code: Code.CANCELLED });
    await until(() => log.events.includes('finally:aborted=true'));

    const ac = new AbortController();
    const second = client.forever(null, { signal: ac.signal })[Symbol.asyncIterator]();
    await second.next();
    ac.abort();
    await expect(second.next()).rejects.toMatchObject({ code: Code.CANCELLED });
  });

  it('a deadline bounds the whole stream', async () => {
    const { client } = await setup();
    const call = client.forever(null, { timeoutMs: 50 });
    const it = call[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: { i: 0 }, done: false });
    // The reader stalls: the deadline, not the end of the data, ends the stream.
    await expect(call.trailers).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    await expect(it.next()).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
  });

  it('a dropped connection fails the iteration with UNAVAILABLE', async () => {
    const { client, net, server } = await setup();
    const it = client.forever(null)[Symbol.asyncIterator]();
    await it.next();
    net.faults.kill(server.endpoints[0] as string);
    const err = await (async () => {
      for (let k = 0; k < 100; k++) await it.next();
    })().catch((e: unknown) => e);
    expect((err as RpcError).code).toBe(Code.UNAVAILABLE);
  });

  it('validates the request on the server and each message on the client', async () => {
    const { client } = await setup();
    const got: number[] = [];
    for await (const m of client.checked({ n: 3 })) got.push(m.i);
    expect(got).toEqual([0, 1, 2]);
    const err = await (async () => {
      for await (const _ of client.checked({ n: 1.5 })) {
        /* nothing */
      }
    })().catch((e: unknown) => e);
    expect((err as RpcError).code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe('client streams', () => {
  it('sends every chunk in order and returns the single response with trailers', async () => {
    const { client, log } = await setup();
    const up = client.sum({ name: 'batch' });
    for (let v = 0; v < 500; v++) await up.send({ v });
    await expect(up.close()).resolves.toEqual({ total: (499 * 500) / 2, count: 500 });
    await expect(up.trailers).resolves.toEqual({ 'x-name': 'batch' });
    expect(log.received).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('an unauthorized stream is refused before any chunk is accepted', async () => {
    const { client, log } = await setup();
    const up = client.guarded({ token: 'bad' });
    const sent = up.send(1);
    await expect(sent).rejects.toMatchObject({ code: Code.PERMISSION_DENIED });
    await expect(up.result).rejects.toMatchObject({ code: Code.PERMISSION_DENIED });
    expect(log.events).toEqual(['authorize:bad']);
    expect(log.received).toEqual([]);
    const ok = client.guarded({ token: 'ok' });
    await ok.send(7);
    await ok.send(8);
    await expect(ok.close()).resolves.toBe(2);
    expect(log.received).toEqual([7, 8]);
  });

  it('the server-wide authorize hook also gates streams before data', async () => {
    const net = createMemoryNetwork();
    const log: Log = { events: [], received: [] };
    const server = createServer({
      transport: net.server(),
      authorize: (req) => {
        if (req.ctx.metadata.authorization !== 'Bearer yes')
          throw new RpcError(Code.UNAUTHENTICATED, 'no');
      },
    });
    server.add(Svc, impl(log));
    const [endpoint] = await server.listen('memory://*');
    const client = createClient(Svc, {
      endpoints: [endpoint as string],
      transport: (e) => net.client(e),
    });
    cleanups.push(
      () => server.close({ graceMs: 0 }),
      () => client.close(),
    );
    const up = client.sum({ name: 'x' });
    await expect(up.send({ v: 1 })).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    expect(log.received).toEqual([]);
    const ok = client.sum({ name: 'y' }, { metadata: { authorization: 'Bearer yes' } });
    await ok.send({ v: 5 });
    await expect(ok.close()).resolves.toEqual({ total: 5, count: 1 });
  });

  it('send waits for credit: the client never has more than the window outstanding', async () => {
    const net = createMemoryNetwork();
    const Slow = defineService('test.Slow', {
      take: clientStream<null, number, number>({ windowMessages: 4 }),
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const server = createServer({ transport: net.server() });
    const received: number[] = [];
    server.add(Slow, {
      async take(_, chunks) {
        await gate;
        for await (const c of chunks) received.push(c);
        return received.length;
      },
    });
    const [endpoint] = await server.listen('memory://*');
    const client = createClient(Slow, {
      endpoints: [endpoint as string],
      transport: (e) => net.client(e),
    });
    cleanups.push(
      () => server.close({ graceMs: 0 }),
      () => client.close(),
    );
    const up = client.take(null);
    const sends: Array<Promise<void>> = [];
    let settled = 0;
    for (let i = 0; i < 10; i++) sends.push(up.send(i).then(() => void settled++));
    await until(() => settled >= 4);
    await quiescent();
    expect(settled).toBe(4);
    release();
    await Promise.all(sends);
    await expect(up.close()).resolves.toBe(10);
    expect(received).toEqual([...Array(10).keys()]);
  });

  it('the server handler sees UNAVAILABLE when the client goes away mid-stream', async () => {
    const net = createMemoryNetwork();
    const Up = defineService('test.Up', { take: clientStream<null, number, number>() });
    const outcome: string[] = [];
    const server = createServer({ transport: net.server() });
    server.add(Up, {
      async take(_, chunks) {
        let n = 0;
        try {
          for await (const _c of chunks) n++;
          outcome.push('ended');
        } catch (e) {
          outcome.push(`failed:${(e as RpcError).code}:${n}`);
          throw e;
        }
        return n;
      },
    });
    const [endpoint] = await server.listen('memory://*');
    const client = createClient(Up, { endpoints: [endpoint], transport: (e) => net.client(e) });
    cleanups.push(
      () => server.close({ graceMs: 0 }),
      () => client.close(),
    );
    const up = client.take(null);
    for (let i = 0; i < 3; i++) await up.send(i);
    await until(() => server.stats().active === 1);
    net.faults.disconnect(endpoint, { reconnect: false });
    await expect(up.result).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await until(() => outcome.length === 1);
    expect(outcome[0]).toMatch(/^failed:14:/);
    await until(() => server.stats().active === 0);
  });

  it('cancel() rejects pending sends and the result with CANCELLED', async () => {
    const { client } = await setup();
    const up = client.sum({ name: 'c' });
    await up.send({ v: 1 });
    up.cancel();
    await expect(up.result).rejects.toMatchObject({ code: Code.CANCELLED });
    await expect(up.send({ v: 2 })).rejects.toMatchObject({ code: Code.CANCELLED });
  });
});

describe('bidi streams', () => {
  it('streams both ways at once', async () => {
    const { client } = await setup();
    const chat = client.echo({ prefix: '> ' });
    const replies: string[] = [];
    const reader = (async () => {
      for await (const r of chat) replies.push(r);
    })();
    for (let i = 0; i < 100; i++) await chat.send(`m${i}`);
    chat.close();
    await reader;
    expect(replies).toEqual(Array.from({ length: 100 }, (_, i) => `> m${i}`));
    await expect(chat.trailers).resolves.toEqual({});
  });
});

describe('interceptors and listeners on streams', () => {
  it('apply to streams and see each message', async () => {
    const seen: string[] = [];
    const listener: RpcListener = {
      onMessage: (e) => seen.push(`${e.side}:${e.direction}:${e.kind}`),
    };
    const tags: string[] = [];
    const clientSide: ClientInterceptor = (next) => async (req) => {
      tags.push(`client:${req.kind}`);
      req.metadata['x-tag'] = 'yes';
      return next(req);
    };
    const serverSide: ServerInterceptor = (next) => async (req) => {
      tags.push(`server:${req.kind}:${req.ctx.metadata['x-tag']}`);
      return next(req);
    };
    const { client } = await setup(
      { interceptors: [serverSide], listeners: [listener] },
      { interceptors: [clientSide], listeners: [listener] },
    );
    const got: number[] = [];
    for await (const m of client.count({ n: 3 })) got.push(m.i);
    expect(got).toEqual([0, 1, 2]);
    const up = client.sum({ name: 'i' });
    await up.send({ v: 1 });
    await expect(up.close()).resolves.toEqual({ total: 1, count: 1 });
    expect(tags).toEqual([
      'client:server-stream',
      'server:server-stream:yes',
      'client:client-stream',
      'server:client-stream:yes',
    ]);
    await until(() => seen.filter((s) => s === 'client:in:data').length === 3);
    expect(seen.filter((s) => s === 'server:out:data')).toHaveLength(3);
    expect(seen).toContain('client:out:data');
    expect(seen).toContain('server:in:data');
    expect(seen).toContain('client:in:end');
    expect(seen).toContain('client:out:end');
    expect(seen).toContain('server:in:credit');
  });

  it('each call with server interceptors gets its own context (no state shared between calls)', async () => {
    const ids: number[] = [];
    const passthrough: ServerInterceptor = (next) => (req) => next(req);
    const { client } = await setup({ interceptors: [passthrough] });
    for (let k = 0; k < 3; k++) {
      const call = client.count({ n: 20 });
      let got = 0;
      for await (const _ of call) got++;
      expect(got).toBe(20);
      await expect(call.trailers).resolves.toEqual({ 'x-count': '20' });
      const up = client.sum({ name: `u${k}` });
      await up.send({ v: k });
      await expect(up.close()).resolves.toEqual({ total: k, count: 1 });
      await expect(up.trailers).resolves.toEqual({ 'x-name': `u${k}` });
      ids.push(k);
    }
    expect(ids).toEqual([0, 1, 2]);
  });

  it('a client interceptor that wraps the outgoing messages still sees sends fail when the server answers early', async () => {
    const wrap: ClientInterceptor = (next) => (req) => {
      const inner = req.messages;
      if (inner) {
        req.messages = (async function* () {
          for await (const m of inner) yield m;
        })();
      }
      return next(req);
    };
    const net = createMemoryNetwork();
    const Early = defineService('test.Early', {
      take: clientStream<null, number, string>({ windowMessages: 2 }),
    });
    const server = createServer({ transport: net.server() });
    server.add(Early, { take: async () => 'done early' });
    const [endpoint] = await server.listen('memory://*');
    const client = createClient(Early, {
      endpoints: [endpoint],
      transport: (e) => net.client(e),
      interceptors: [wrap],
    });
    cleanups.push(
      () => server.close({ graceMs: 0 }),
      () => client.close(),
    );
    const up = client.take(null, { timeoutMs: 30_000 });
    await expect(up.result).resolves.toBe('done early');
    const sends = Array.from({ length: 10 }, (_, i) =>
      up.send(i).then(
        () => 'sent',
        (e: RpcError) => e.code,
      ),
    );
    const outcomes = await Promise.all(sends);
    expect(outcomes.every((o) => o === Code.FAILED_PRECONDITION)).toBe(true);
  });

  it('a short-circuiting client interceptor answers without the network', async () => {
    const cached: ClientInterceptor = () => async () => ({
      stream: true,
      messages: (async function* () {
        yield { i: 42 };
      })(),
      trailers: { cached: 'yes' },
    });
    const { client } = await setup({}, { interceptors: [cached] });
    const call = client.count({ n: 5 });
    const got: number[] = [];
    for await (const m of call) got.push(m.i);
    expect(got).toEqual([42]);
    await expect(call.trailers).resolves.toEqual({ cached: 'yes' });
    expect(clientCore(client).stats().started).toBe(0);
  });
});
