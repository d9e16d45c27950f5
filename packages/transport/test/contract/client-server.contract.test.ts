/**
 * The request/response contract, run on every engine (memory, libzmq, zmtp):
 * what upper layers rely on whatever carries their messages. Where an engine
 * differs by design, the test says so for that engine.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { type ClientTransport, type Inbound, TransportError } from '../../src/index.js';
import { checkNumbered, numbered, Resources, waitFor, within } from '../helpers.js';
import { ENGINES, engine } from './engines.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

/** Reads `n` messages from an iterable, each copied. */
async function read<T>(source: AsyncIterable<T>, n: number, copy: (v: T) => T): Promise<T[]> {
  const got: T[] = [];
  if (n === 0) return got;
  for await (const v of source) {
    got.push(copy(v));
    if (got.length === n) break;
  }
  return got;
}

const copyInbound = (i: Inbound): Inbound => ({ peer: i.peer, message: Buffer.from(i.message) });
const copyBytes = (m: Uint8Array): Uint8Array => Buffer.from(m);

describe.each(ENGINES)('client/server contract on %s', (name) => {
  const e = engine(name);

  async function pair(limits = {}) {
    const server = resources.add(e.server(limits));
    const endpoint = await server.listen(e.address());
    const client = resources.add(e.client(endpoint, limits));
    await client.ready({ timeoutMs: 10_000 });
    return { server, client, endpoint };
  }

  it('delivers requests and responses whole and in order, with the peer id of connected', async () => {
    const server = resources.add(e.server());
    const endpoint = await server.listen(e.address());
    expect(server.endpoints).toEqual([endpoint]);
    const connected = new Promise<string | undefined>((resolve) =>
      server.on('connected', (ev) => resolve(ev.peer)),
    );
    const client = resources.add(e.client(endpoint));
    await client.ready({ timeoutMs: 10_000 });
    expect(client.connected).toBe(true);
    const N = 500;
    for (let i = 0; i < N; i++) await client.send(numbered(i, 16 + (i % 50)));
    const requests = await within(read(server, N, copyInbound), 10_000, 'requests');
    expect(requests.map((r, i) => checkNumbered(r.message, i, 16 + (i % 50))).join('')).toBe('');
    const peer = requests[0]!.peer;
    expect(requests.every((r) => r.peer === peer)).toBe(true);
    expect(await within(connected, 10_000, 'connected')).toBe(peer);
    for (const r of requests) await server.send(r.peer, r.message);
    const responses = await within(read(client, N, copyBytes), 10_000, 'responses');
    expect(responses.map((m, i) => checkNumbered(m, i, 16 + (i % 50))).join('')).toBe('');
  });

  it('carries empty, small and large messages up to maxMessageBytes, mixed in one turn', async () => {
    const max = 100_000; // above the default largeMessageBytes (32 KiB): both framings
    const { server, client } = await pair({ maxMessageBytes: max });
    const sizes = [0, 1, 10, 40_000, 5, max - 1, 3, max, 0, 70_000, 2];
    // Not awaited one by one: the small ones share bursts around the large ones.
    await Promise.all(sizes.map((size, i) => client.send(numberedOrEmpty(i, size))));
    const got = await within(read(server, sizes.length, copyInbound), 10_000, 'messages');
    expect(got.map((g) => g.message.length)).toEqual(sizes);
    got.forEach((g, i) => {
      if (sizes[i]! >= 4) expect(checkNumbered(g.message, i, sizes[i]!)).toBe('');
    });
    const peer = got[0]!.peer;
    await Promise.all(sizes.map((size, i) => server.send(peer, numberedOrEmpty(i, size))));
    const back = await within(read(client, sizes.length, copyBytes), 10_000, 'replies');
    expect(back.map((m) => m.length)).toEqual(sizes);
  });

  it('rejects a message above maxMessageBytes with TOO_LARGE, on both sides, and goes on', async () => {
    const { server, client } = await pair({ maxMessageBytes: 1000 });
    const tooLarge = client.send(new Uint8Array(1001));
    await expect(tooLarge).rejects.toBeInstanceOf(TransportError);
    await expect(tooLarge).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await client.send(Buffer.from('fits'));
    const [inbound] = await within(read(server, 1, copyInbound), 10_000, 'the next message');
    expect(Buffer.from(inbound!.message).toString()).toBe('fits');
    await expect(server.send(inbound!.peer, new Uint8Array(1001))).rejects.toMatchObject({
      code: 'TOO_LARGE',
    });
    expect(client.stats().drops).toBe(0);
  });

  it('a full send queue says isFull() and rejects with QUEUE_FULL (whenFull: error)', async () => {
    const DEPTH = 8;
    // Nobody listens: what is sent stays in the queue.
    const client: ClientTransport = resources.add(
      e.client(e.nowhere(), { queueDepth: DEPTH, closeTimeoutMs: 50 }),
    );
    for (let i = 0; i < DEPTH; i++) await client.send(numbered(i, 8));
    expect(client.isFull?.()).toBe(true);
    await expect(client.send(numbered(DEPTH, 8))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect(client.stats().queueDepth).toBe(DEPTH);
    await client.close();
    expect(client.stats().queueDepth).toBe(0);
  });

  it('reports peers going away: the client closing to the server, the server closing to the client', async () => {
    const { server, client } = await pair();
    // Upper layers always read: the libzmq engine learns of peers leaving
    // through its receive stream (ZMQ_ROUTER_NOTIFY), so it needs a reader.
    const inbox = consume(server);
    await client.send(Buffer.from('hi'));
    await waitFor(() => inbox.length === 1, 'hi');
    const peer = inbox[0]!.peer;
    const serverSaw = new Promise<{ peer?: string; reason: string }>((resolve) =>
      server.on('disconnected', resolve),
    );
    await client.close();
    expect(await within(serverSaw, 10_000, 'server disconnected')).toMatchObject({
      peer,
      reason: 'disconnected',
    });
    // The peer is forgotten: sending to it is a typed error, never a silent drop.
    await expect(server.send(peer, Buffer.from('late'))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });

    const { server: server2, client: client2 } = await pair();
    const clientSaw = new Promise<{ reason: string }>((resolve) =>
      client2.on('disconnected', resolve),
    );
    await server2.close();
    expect(await within(clientSaw, 10_000, 'client disconnected')).toMatchObject({
      reason: 'disconnected',
    });
    await waitFor(() => !client2.connected, 'client2 to see the server gone');
  });

  it('close() ends iteration, is idempotent, and makes every call a CLOSED error', async () => {
    const { server, client } = await pair();
    const serverLoop = (async () => {
      for await (const _ of server) void _;
    })();
    const clientLoop = (async () => {
      for await (const _ of client) void _;
    })();
    await client.close();
    await client.close();
    expect(client.closed).toBe(true);
    await expect(client.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(client.ready()).rejects.toMatchObject({ code: 'CLOSED' });
    await server.close();
    await server.close();
    expect(server.closed).toBe(true);
    await expect(server.send('anyone', Buffer.from('x'))).rejects.toMatchObject({
      code: 'CLOSED',
    });
    await expect(server.listen(e.address())).rejects.toMatchObject({ code: 'CLOSED' });
    await within(Promise.all([serverLoop, clientLoop]), 10_000, 'the loops to end');
  });

  it('counts what went each way in stats()', async () => {
    const { server, client } = await pair();
    const N = 300;
    for (let i = 0; i < N; i++) await client.send(numbered(i, 32));
    const got = await within(read(server, N, copyInbound), 10_000, 'requests');
    for (const r of got) await server.send(r.peer, r.message);
    await within(read(client, N, copyBytes), 10_000, 'responses');
    const c = client.stats();
    const s = server.stats();
    expect([c.messagesOut, c.messagesIn, s.messagesIn, s.messagesOut]).toEqual([N, N, N, N]);
    for (const st of [c, s]) {
      expect(st.drops).toBe(0);
      expect(st.queueDepth).toBe(0);
      // A burst carries many: ZeroMQ messages are at most the logical ones.
      expect(st.zmqOut).toBeGreaterThanOrEqual(1);
      expect(st.zmqOut).toBeLessThanOrEqual(N);
    }
    if (name === 'memory') {
      // Memory moves each logical message on its own: nothing to burst.
      expect(c.zmqOut).toBe(N);
      expect(c.bursts).toBe(0);
    }
  });
});

/** Reads `source` in the background until it ends; returns what arrived so far (copied). */
function consume(source: AsyncIterable<Inbound>): Inbound[] {
  const got: Inbound[] = [];
  void (async () => {
    for await (const i of source) got.push(copyInbound(i));
  })();
  return got;
}

/** `numbered(i, size)` for sizes it supports (4 and up), zeros below. */
function numberedOrEmpty(i: number, size: number): Uint8Array {
  return size >= 4 ? numbered(i, size) : new Uint8Array(size);
}
