import { afterEach, describe, expect, it } from 'vitest';
import {
  createClientTransport,
  createPublisherTransport,
  createServerTransport,
  createSubscriberTransport,
  TransportError,
} from '../src/index.js';
import { Resources, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('endpoint errors', () => {
  it('listen on an address in use fails with ADDRESS_IN_USE', async () => {
    const a = resources.add(createServerTransport());
    const endpoint = await a.listen('tcp://127.0.0.1:0');
    const b = resources.add(createServerTransport());
    const err = await b.listen(endpoint).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ADDRESS_IN_USE');
    expect((err as Error).message).toContain(endpoint);
  });

  it('refuses a tcp port out of range at once (libzmq would wrap it)', async () => {
    const server = resources.add(createServerTransport());
    for (const bad of ['tcp://127.0.0.1:70000', 'tcp://127.0.0.1:-1', 'tcp://127.0.0.1:65536']) {
      await expect(server.listen(bad)).rejects.toMatchObject({ code: 'INVALID_ENDPOINT' });
    }
    expect(server.endpoints).toEqual([]);
    for (const bad of ['tcp://127.0.0.1:70000', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:*']) {
      let err: unknown;
      try {
        resources.add(createClientTransport(bad));
      } catch (e) {
        err = e;
      }
      expect((err as TransportError).code).toBe('INVALID_ENDPOINT');
    }
    const pub = resources.add(createPublisherTransport());
    await expect(pub.listen('tcp://127.0.0.1:70000')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
    const sub = resources.add(createSubscriberTransport());
    expect(() => sub.connect('tcp://127.0.0.1:70000')).toThrow(/port/);
  });

  it('says so when a client host name does not resolve', async () => {
    const client = resources.add(createClientTransport('tcp://no-such-host.invalid:5555'));
    const disconnected = new Promise<{ reason: string }>((resolve) =>
      client.on('disconnected', resolve),
    );
    const err = await client.ready({ timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('UNREACHABLE');
    expect((err as Error).message).toContain('no-such-host.invalid');
    expect((await within(disconnected, 10_000, 'unresolved event')).reason).toBe('unresolved');
  });
});
