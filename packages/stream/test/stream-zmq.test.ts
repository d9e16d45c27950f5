import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type CallContext,
  Code,
  createClient,
  createServer,
  defineService,
  RpcError,
} from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { clientStream, serverStream } from '../src/index.js';

const payload = 'x'.repeat(180);

const Svc = defineService('itest.Streams', {
  feed: serverStream<{ count: number }, { n: number; p: string }>(),
  collect: clientStream<
    { name: string },
    { n: number; p: string },
    { count: number; ordered: boolean }
  >(),
  endless: serverStream<null, { n: number }>(),
  failing: serverStream<null, { n: number }>(),
  guarded: clientStream<{ token: string }, { n: number }, { count: number }>(),
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface State {
  pulled: number;
  finallyRan: boolean;
  signalAborted: boolean;
  guardedChunks: number;
}

async function start() {
  const state: State = { pulled: 0, finallyRan: false, signalAborted: false, guardedChunks: 0 };
  const server = createServer();
  server.add(Svc, {
    async *feed(req: { count: number }) {
      for (let n = 0; n < req.count; n++) {
        state.pulled = n + 1;
        yield { n, p: payload };
      }
    },
    async collect(_open: { name: string }, chunks: AsyncIterable<{ n: number; p: string }>) {
      let count = 0;
      let ordered = true;
      for await (const c of chunks) {
        if (c.n !== count || c.p !== payload) ordered = false;
        count++;
      }
      return { count, ordered };
    },
    async *endless(_: null, ctx: CallContext) {
      try {
        for (let n = 0; ; n++) yield { n };
      } finally {
        state.finallyRan = true;
        state.signalAborted = ctx.signal.aborted;
      }
    },
    async *failing(_: null, ctx: CallContext) {
      yield { n: 1 };
      ctx.trailers['x-reason'] = 'disk';
      throw new RpcError(Code.ABORTED, 'storage went away', { details: { retry: false } });
    },
    guarded: {
      authorize(open: { token: string }) {
        if (open.token !== 'secret') throw new RpcError(Code.UNAUTHENTICATED, 'bad token');
      },
      async handler(_: { token: string }, chunks: AsyncIterable<{ n: number }>) {
        let count = 0;
        for await (const _c of chunks) {
          state.guardedChunks++;
          count++;
        }
        return { count };
      },
    },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  const client = createClient(Svc, { endpoints: [endpoint as string], timeoutMs: 120_000 });
  cleanups.push(
    () => server.close({ graceMs: 0 }),
    () => client.close(),
  );
  return { server, client, state };
}

describe('streams over ZeroMQ', () => {
  it('1,000,000 server-to-client messages arrive complete and in order', async () => {
    const { client } = await start();
    let expected = 0;
    for await (const m of client.feed({ count: 1_000_000 })) {
      if (m.n !== expected) throw new Error(`message ${m.n} arrived where ${expected} was due`);
      expected++;
    }
    expect(expected).toBe(1_000_000);
  });

  it('1,000,000 client-to-server messages arrive complete and in order', async () => {
    const { client } = await start();
    const up = client.collect({ name: 'bulk' });
    for (let n = 0; n < 1_000_000; n++) await up.send({ n, p: payload });
    await expect(up.close()).resolves.toEqual({ count: 1_000_000, ordered: true });
  });

  it('a consumer that stalls pauses the producer; heap stays bounded; everything arrives after', async () => {
    const { client, state } = await start();
    const total = 200_000;
    const it = client.feed({ count: total })[Symbol.asyncIterator]();
    let expected = 0;
    for (; expected < 1000; expected++)
      expect(((await it.next()).value as { n: number }).n).toBe(expected);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    // Stall: read nothing. The client read 1,000 of its 2,048-message window
    // (and well under half its byte window), so it granted nothing back: the
    // generator is pulled exactly 2,048 times, then waits for credit.
    await expect.poll(() => state.pulled, { timeout: 20_000 }).toBe(2048);
    // A round trip on the same connection: any credit the stalled client could
    // have sent before it would have reached the server and been used by now.
    await expect(client.collect({ name: 'barrier' }).close()).resolves.toEqual({
      count: 0,
      ordered: true,
    });
    expect(state.pulled).toBe(2048);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      expect((r.value as { n: number }).n).toBe(expected);
      expected++;
    }
    expect(expected).toBe(total);
  });

  it('breaking out of the loop stops the server generator promptly (finally runs, signal aborted)', async () => {
    const { client, state, server } = await start();
    let n = 0;
    for await (const m of client.endless(null)) {
      n = m.n;
      if (n >= 10_000) break;
    }
    await expect.poll(() => state.finallyRan, { timeout: 5_000 }).toBe(true);
    expect(state.signalAborted).toBe(true);
    await expect.poll(() => server.stats().active, { timeout: 5_000 }).toBe(0);
  });

  it('server errors reach the client with code, details and trailers', async () => {
    const { client } = await start();
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of client.failing(null)) got.push(m.n);
    })().catch((e: unknown) => e);
    expect(got).toEqual([1]);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.ABORTED);
    expect((err as RpcError).details).toEqual({ retry: false });
    expect((err as RpcError).metadata).toEqual({ 'x-reason': 'disk' });
  });

  it('an unauthorized client stream is refused before any data is accepted', async () => {
    const { client, state } = await start();
    const up = client.guarded({ token: 'wrong' });
    await expect(up.send({ n: 1 })).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    await expect(up.result).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    expect(state.guardedChunks).toBe(0);
    const ok = client.guarded({ token: 'secret' });
    for (let n = 0; n < 10; n++) await ok.send({ n });
    await expect(ok.close()).resolves.toEqual({ count: 10 });
  });

  it('a server killed mid-stream fails the iteration with UNAVAILABLE, without hanging', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'stream-server.mjs');
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited (${code})`)));
    });
    const { endpoint } = JSON.parse(line) as { endpoint: string };
    const Feed = defineService('fixture.Feed', { ticks: serverStream<null, { n: number }>() });
    const client = createClient(Feed, {
      endpoints: [endpoint],
      timeoutMs: 60_000,
      transportOptions: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1000 },
    });
    cleanups.push(() => client.close());
    let received = 0;
    let killedAt = 0;
    const err = await (async () => {
      for await (const _ of client.ticks(null)) {
        received++;
        if (received === 20) {
          killedAt = performance.now();
          child.kill('SIGKILL');
        }
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(performance.now() - killedAt).toBeLessThan(5_000);
  });
});
