import { afterEach, describe, expect, it } from 'vitest';
import {
  Code,
  createClient,
  createServer,
  defineService,
  TransportError,
  unary,
} from '../src/index.js';

const Svc = defineService('test.Endpoints', { ping: unary<null, string>() });

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

describe('endpoint errors through rpc', () => {
  it('listen on a port in use is a typed ADDRESS_IN_USE', async () => {
    const a = createServer({});
    closers.push(() => a.close({ graceMs: 0 }));
    const [endpoint] = await a.listen('tcp://127.0.0.1:0');
    const b = createServer({});
    closers.push(() => b.close({ graceMs: 0 }));
    const err = await b.listen(endpoint).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ADDRESS_IN_USE');
  });

  it('a port out of range is INVALID_ENDPOINT at once, on server and client', async () => {
    const server = createServer({});
    closers.push(() => server.close({ graceMs: 0 }));
    await expect(server.listen('tcp://127.0.0.1:70000')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
    expect(() => createClient(Svc, { endpoints: ['tcp://127.0.0.1:70000'] })).toThrow(
      TransportError,
    );
  });

  it('a host that does not resolve fails calls with UNAVAILABLE naming the host', async () => {
    const client = createClient(Svc, {
      endpoints: ['tcp://no-such-host.invalid:5555'],
      connectTimeoutMs: 60_000,
    });
    closers.push(() => client.close());
    const err = await client.ping(null, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(Code.UNAVAILABLE);
    expect((err as Error).message).toContain('no-such-host.invalid');
  });
});
