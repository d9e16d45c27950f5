import { describe, expect, it } from 'vitest';
import { TransportError } from './errors.js';
import { createMemoryNetwork } from './memory.js';

const bytes = (n: number) => new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
const num = (b: Uint8Array) =>
  (b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16);

describe('memory transport', () => {
  it('copies messages so later mutation by the sender is not seen', async () => {
    const net = createMemoryNetwork();
    const server = net.server();
    const endpoint = await server.listen('memory://a');
    const client = net.client(endpoint);
    await client.ready();
    const m = bytes(7);
    await client.send(m);
    m[0] = 99;
    const it = server[Symbol.asyncIterator]();
    const first = await it.next();
    expect(num((first.value as { message: Uint8Array }).message)).toBe(7);
    await client.close();
    await server.close();
  });

  it('applies backpressure when the receiver does not read', async () => {
    const net = createMemoryNetwork();
    const server = net.server({ queueDepth: 4 });
    const endpoint = await server.listen('memory://*');
    const client = net.client(endpoint);
    await client.ready();
    for (let i = 0; i < 3; i++) await client.send(bytes(i));
    let settled = false;
    const blocked = client.send(bytes(3)).then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(server.stats().queueDepth).toBe(4);
    const it = server[Symbol.asyncIterator]();
    await it.next();
    await blocked;
    expect(settled).toBe(true);
    await client.close();
    await server.close();
  });

  it('rejects oversize, unreachable and closed sends with typed errors', async () => {
    const net = createMemoryNetwork();
    const server = net.server({ maxMessageBytes: 8 });
    const endpoint = await server.listen('memory://*');
    const client = net.client(endpoint, { maxMessageBytes: 8 });
    await client.ready();
    await expect(client.send(new Uint8Array(9))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(server.send('nobody', bytes(1))).rejects.toMatchObject({ code: 'UNREACHABLE' });
    await client.close();
    const err = await client.send(bytes(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CLOSED');
    await server.close();
  });

  it('injects drops, disconnects and kills', async () => {
    const net = createMemoryNetwork();
    const server = net.server();
    const endpoint = await server.listen('memory://*');
    const client = net.client(endpoint);
    await client.ready();
    const events: string[] = [];
    client.on('connected', () => events.push('connected'));
    client.on('disconnected', (e) => events.push(`disconnected:${e.reason}`));
    net.faults.drop(1);
    await client.send(bytes(1));
    await client.send(bytes(2));
    const it = server[Symbol.asyncIterator]();
    expect(num(((await it.next()).value as { message: Uint8Array }).message)).toBe(2);
    expect(client.stats().drops).toBe(1);

    net.faults.disconnect(endpoint);
    expect(client.connected).toBe(false);
    await client.ready({ timeoutMs: 5000 });
    expect(events).toEqual(['disconnected:disconnected', 'connected']);

    net.faults.kill(endpoint);
    expect(client.connected).toBe(false);
    await expect(client.ready({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await client.close();
  });

  it('delivers messages queued while disconnected once a server listens', async () => {
    const net = createMemoryNetwork();
    const client = net.client('memory://later');
    await client.send(bytes(5));
    const server = net.server();
    await server.listen('memory://later');
    const it = server[Symbol.asyncIterator]();
    expect(num(((await it.next()).value as { message: Uint8Array }).message)).toBe(5);
    await client.close();
    await server.close();
  });
});
