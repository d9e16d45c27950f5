/**
 * The writer loops' handling of zeromq.js send failures, driven by wrapping
 * the real socket's `send` (white box: the lost wake-up cannot be provoked
 * on demand, and these paths must work when it happens).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport, createServerTransport } from '../src/index.js';
import { bindAddress, Resources, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

type Send = (frames: unknown) => Promise<void>;

/**
 * Puts a proxy in front of `transport.socket` whose `send` fails the first
 * `failures.length` calls with `code` after `afterMs`, then forwards to the
 * real socket, after `thenAfterMs` (a send that had to wait) or at once.
 * zeromq.js sockets are sealed, hence the proxy.
 */
function failSends(
  transport: object,
  failures: Array<{ code: string; afterMs: number }>,
  thenAfterMs = 0,
): { calls: () => number } {
  const holder = transport as { socket: object };
  const real = holder.socket as { send: Send };
  let calls = 0;
  const send: Send = (frames) => {
    const failure = failures[calls++];
    if (failure === undefined) {
      if (thenAfterMs === 0 || calls !== failures.length + 1) return real.send(frames);
      return new Promise((resolve) => setTimeout(resolve, thenAfterMs)).then(() =>
        real.send(frames),
      );
    }
    const error = Object.assign(new Error(failure.code), { code: failure.code });
    return new Promise((_, reject) => setTimeout(() => reject(error), failure.afterMs));
  };
  holder.socket = new Proxy(real, {
    get(target, prop) {
      if (prop === 'send') return send;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
  return { calls: () => calls };
}

describe('send guard', () => {
  it('client: a timed-out send whose retry goes through at once is a wake-up rescue', async () => {
    const server = resources.add(createServerTransport({ engine: 'libzmq' }));
    const endpoint = await server.listen(bindAddress('inproc'));
    const client = resources.add(createClientTransport(endpoint));
    const probe = failSends(client, [{ code: 'EAGAIN', afterMs: 25 }]);
    await client.send(Buffer.from('rescued'));
    const { value } = await within(server[Symbol.asyncIterator]().next(), 10_000, 'message');
    expect(Buffer.from(value!.message).toString()).toBe('rescued');
    expect(probe.calls()).toBe(2);
    expect(client.stats().wakeupRescues).toBe(1);
    expect(client.stats().drops).toBe(0);
  });

  it('client: timeouts followed by a send that had to wait are retried without counting a rescue', async () => {
    const server = resources.add(createServerTransport({ engine: 'libzmq' }));
    const endpoint = await server.listen(bindAddress('inproc'));
    const client = resources.add(createClientTransport(endpoint));
    const probe = failSends(
      client,
      [
        { code: 'EAGAIN', afterMs: 20 },
        { code: 'EAGAIN', afterMs: 20 },
      ],
      15,
    );
    await client.send(Buffer.from('late but there'));
    const { value } = await within(server[Symbol.asyncIterator]().next(), 10_000, 'message');
    expect(Buffer.from(value!.message).toString()).toBe('late but there');
    expect(probe.calls()).toBe(3);
    expect(client.stats().wakeupRescues).toBe(0);
  });

  async function serverWithPeer() {
    const server = resources.add(createServerTransport({ engine: 'libzmq' }));
    const endpoint = await server.listen(bindAddress('inproc'));
    const client = resources.add(createClientTransport(endpoint));
    await client.send(Buffer.from('hello'));
    const { value } = await within(server[Symbol.asyncIterator]().next(), 10_000, 'hello');
    return { server, client, peer: value!.peer };
  }

  it('server: an immediate EAGAIN (this peer full, socket writable) backs off, then delivers', async () => {
    const { server, client, peer } = await serverWithPeer();
    const probe = failSends(server, [
      { code: 'EAGAIN', afterMs: 0 },
      { code: 'EAGAIN', afterMs: 0 },
    ]);
    await server.send(peer, Buffer.from('after backoff'));
    const { value } = await within(client[Symbol.asyncIterator]().next(), 10_000, 'reply');
    expect(Buffer.from(value!).toString()).toBe('after backoff');
    expect(probe.calls()).toBe(3);
    expect(server.stats().wakeupRescues).toBe(0);
  });

  it('server: a send that waited out sendTimeout and then goes through at once is a rescue', async () => {
    const { server, client, peer } = await serverWithPeer();
    failSends(server, [{ code: 'EAGAIN', afterMs: 25 }]);
    await server.send(peer, Buffer.from('rescued'));
    const { value } = await within(client[Symbol.asyncIterator]().next(), 10_000, 'reply');
    expect(Buffer.from(value!).toString()).toBe('rescued');
    expect(server.stats().wakeupRescues).toBe(1);
  });

  it('server: EHOSTUNREACH fails the peer: queued messages are counted, later sends reject', async () => {
    const { server, peer } = await serverWithPeer();
    failSends(server, [{ code: 'EHOSTUNREACH', afterMs: 0 }]);
    const dropped: Array<{ peer?: string; count?: number }> = [];
    server.on('dropped', (e) => dropped.push(e));
    for (let i = 0; i < 3; i++) await server.send(peer, Buffer.from(`m${i}`));
    await within(
      (async () => {
        while (server.stats().drops < 3) await new Promise((r) => setTimeout(r, 5));
      })(),
      10_000,
      'drops',
    );
    expect(dropped).toEqual([
      { reason: 'peer disconnected before the message was sent', peer, count: 3 },
    ]);
    await expect(server.send(peer, Buffer.from('x'))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
  });
});
