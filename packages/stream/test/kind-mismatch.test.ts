import { Code, createClient, createServer, defineService, RpcError, unary } from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { bidiStream, clientStream, serverStream } from '../src/index.js';

// The server's contract: one method of each kind.
const Served = defineService('kinds.Demo', {
  one: unary<{ n: number }, { n: number }>(),
  ticks: serverStream<{ n: number }, { n: number }>(),
  upload: clientStream<{ n: number }, { n: number }, { n: number }>(),
  chat: bidiStream<{ n: number }, { n: number }, { n: number }>(),
});

// A client built from a stale contract: same paths, other kinds.
const Stale = defineService('kinds.Demo', {
  one: serverStream<{ n: number }, { n: number }>(),
  ticks: unary<{ n: number }, { n: number }>(),
  upload: unary<{ n: number }, { n: number }>(),
  chat: serverStream<{ n: number }, { n: number }>(),
});
const StaleToo = defineService('kinds.Demo', {
  one: clientStream<{ n: number }, { n: number }, { n: number }>(),
  ticks: clientStream<{ n: number }, { n: number }, { n: number }>(),
  upload: bidiStream<{ n: number }, { n: number }, { n: number }>(),
  chat: unary<{ n: number }, { n: number }>(),
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start() {
  const handled: string[] = [];
  const server = createServer();
  server.add(Served, {
    one(req) {
      handled.push('one');
      return req;
    },
    async *ticks(req) {
      handled.push('ticks');
      yield req;
    },
    async upload(open, chunks) {
      handled.push('upload');
      for await (const _ of chunks);
      return open;
    },
    async *chat(open, incoming) {
      handled.push('chat');
      yield open;
      for await (const m of incoming) yield m;
    },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  // The default deadline (30 s) stays: a mismatch must fail long before it.
  const stale = createClient(Stale, { endpoints: [endpoint as string] });
  const staleToo = createClient(StaleToo, { endpoints: [endpoint as string] });
  cleanups.push(
    () => server.close({ graceMs: 0 }),
    () => stale.close(),
    () => staleToo.close(),
  );
  return { stale, staleToo, handled };
}

async function failure(p: Promise<unknown>): Promise<RpcError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RpcError);
  return e as RpcError;
}

async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const m of it) out.push(m);
  return out;
}

const mismatch = (server: string, client: string) =>
  new RegExp(`is ${server} on the server, the client called it as ${client}`);

describe('a method-kind mismatch fails fast with UNIMPLEMENTED and names both kinds', () => {
  it('unary client, server-stream method', { timeout: 10_000 }, async () => {
    const { stale, handled } = await start();
    const e = await failure(stale.ticks({ n: 1 }));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('server-stream', 'unary'));
    expect(e.message).toContain('kinds.Demo/ticks');
    expect(handled).toEqual([]);
  });

  it('server-stream client, unary method: no empty success', { timeout: 10_000 }, async () => {
    const { stale, handled } = await start();
    const call = stale.one({ n: 1 });
    const e = await failure(drain(call));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('unary', 'server-stream'));
    await expect(call.trailers).rejects.toMatchObject({ code: Code.UNIMPLEMENTED });
    expect(handled).toEqual([]);
  });

  it('client-stream client, unary method', { timeout: 10_000 }, async () => {
    const { staleToo, handled } = await start();
    const call = staleToo.one({ n: 1 });
    const e = await failure(call.close());
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('unary', 'client-stream'));
    await expect(call.send({ n: 2 })).rejects.toMatchObject({ code: Code.UNIMPLEMENTED });
    expect(handled).toEqual([]);
  });

  it('unary client, client-stream method', { timeout: 10_000 }, async () => {
    const { stale } = await start();
    const e = await failure(stale.upload({ n: 1 }));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('client-stream', 'unary'));
  });

  it('unary client, bidi-stream method', { timeout: 10_000 }, async () => {
    const { staleToo } = await start();
    const e = await failure(staleToo.chat({ n: 1 }));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('bidi-stream', 'unary'));
  });

  it('client-stream client, server-stream method', { timeout: 10_000 }, async () => {
    const { staleToo } = await start();
    const e = await failure(staleToo.ticks({ n: 1 }).close());
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('server-stream', 'client-stream'));
  });

  it('server-stream client, bidi-stream method', { timeout: 10_000 }, async () => {
    const { stale } = await start();
    const e = await failure(drain(stale.chat({ n: 1 })));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('bidi-stream', 'server-stream'));
  });

  it('bidi-stream client, client-stream method', { timeout: 10_000 }, async () => {
    const { staleToo } = await start();
    const e = await failure(drain(staleToo.upload({ n: 1 })));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(mismatch('client-stream', 'bidi-stream'));
  });
});
