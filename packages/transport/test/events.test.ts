import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { createClientTransport, createServerTransport } from '../src/index.js';
import { bindAddress, PROTOS, Resources, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('events and readiness', () => {
  for (const proto of PROTOS) {
    it(`client connected/ready and server peer events over ${proto}`, async () => {
      const server = resources.add(createServerTransport());
      const endpoint = await server.listen(bindAddress(proto));
      if (proto === 'tcp') expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(server.endpoints).toEqual([endpoint]);
      const serverConnected = new Promise<{ peer?: string }>((resolve) =>
        server.on('connected', resolve),
      );
      const client = resources.add(createClientTransport(endpoint));
      await client.ready({ timeoutMs: 10_000 });
      expect(client.connected).toBe(true);
      expect(client.endpoint).toBe(endpoint);
      await client.send(Buffer.from('hello'));
      const it = server[Symbol.asyncIterator]();
      const { value } = await within(it.next(), 10_000, 'hello');
      // The connect notification (peer id) came before the data in the stream.
      expect((await within(serverConnected, 10_000, 'server connected')).peer).toBe(value!.peer);
    });
  }

  it('listen on tcp port 0 and * both return the real endpoint; a bad endpoint is INVALID_ENDPOINT', async () => {
    const server = resources.add(createServerTransport());
    const a = await server.listen('tcp://127.0.0.1:0');
    const b = await server.listen('tcp://127.0.0.1:*');
    expect(a).not.toBe(b);
    for (const e of [a, b]) expect(e).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    await expect(server.listen('nonsense://x')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
    expect(() => createClientTransport('nonsense')).toThrow(/endpoint/);
  });

  it('ready() rejects with TIMEOUT while nobody listens', async () => {
    const client = resources.add(createClientTransport('tcp://127.0.0.1:1'));
    await expect(client.ready({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(client.connected).toBe(false);
  });

  it('a client drops malformed messages from a raw server, reports them, and keeps receiving', async () => {
    const router = new Router({ linger: 0 });
    resources.add(router);
    await router.bind('tcp://127.0.0.1:*');
    const client = resources.add(createClientTransport(router.lastEndpoint!));
    const reasons: string[] = [];
    client.on('dropped', (e) => reasons.push(e.reason));
    await client.send(Buffer.from('hi'));
    const [rid] = await router.receive();
    await router.send([rid!, Buffer.from([0x09])]);
    await router.send([rid!, Buffer.from([0x01, 0, 0, 0, 7, 0x61])]);
    await router.send([rid!, Buffer.from([0x02]), Buffer.from('large ok')]);
    const it = client[Symbol.asyncIterator]();
    const { value } = await within(it.next(), 10_000, 'the valid message');
    expect(Buffer.from(value!).toString()).toBe('large ok');
    expect(reasons).toEqual(['unknown framing tag 0x09', 'burst entry truncated']);
    expect(client.stats().drops).toBe(2);
  });
});
