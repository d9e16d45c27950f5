import { createClientTransport, generateKeyPair } from '@xsmb/transport';
import { captureLogs, type LogLine } from '@xsmb/vitest-config/log-capture';
import { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Code, createClient, createServer, defineService, unary } from '../src/index.js';

const Greeter = defineService('test.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
});
const impl = {
  async hello(req: { name: string }) {
    return { greeting: `hi ${req.name}` };
  },
};

const resources = new Resources();
afterEach(() => resources.closeAll());

const ADDRESS = expect.stringMatching(/^127\.0\.0\.1:\d+$/);
const PEER = expect.stringMatching(/^[0-9a-f]+$/);
const events = (lines: LogLine[]) => lines.map((l) => `${l.component}:${l.event}`);
// Exact fields: the peer address comes from the zmtp engine (libzmq servers
// do not report it), so these tests pin the engine.
const engine = 'zmtp' as const;

describe('the logger option', () => {
  it('logs listen, connections, GOAWAY, drain and close with their fields', async () => {
    const serverLog = captureLogs();
    const clientLog = captureLogs();
    const server = createServer({ logger: serverLog.logger, transportOptions: { engine } }).add(
      Greeter,
      impl,
    );
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const client = resources.add(
      createClient(Greeter, {
        endpoints: [endpoint],
        logger: clientLog.logger,
        transportOptions: { engine },
      }),
    );
    expect(await client.hello({ name: 'ada' }, { timeoutMs: 10_000 })).toEqual({
      greeting: 'hi ada',
    });

    await server.close({ graceMs: 1000 });
    await waitFor(() => clientLog.lines.length >= 3, 'client goaway and disconnected lines');
    await client.close();

    expect(serverLog.lines).toEqual([
      { level: 30, component: 'rpc-server', event: 'listening', endpoint, msg: 'server listening' },
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address: ADDRESS,
        peer: PEER,
        msg: 'server connected',
      },
      {
        level: 30,
        component: 'rpc-server',
        event: 'drain',
        graceMs: 1000,
        clients: 1,
        calls: 0,
        msg: 'draining: GOAWAY sent, new calls refused',
      },
      // The connected line's fields, as a disconnection.
      {
        ...serverLog.lines[1],
        event: 'disconnected',
        reason: 'disconnected',
        msg: 'server disconnected',
      },
      { level: 30, component: 'rpc-server', event: 'closed', cancelled: 0, msg: 'server closed' },
    ]);
    expect(clientLog.lines).toEqual([
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address: endpoint.slice('tcp://'.length),
        msg: 'client connected',
      },
      {
        level: 30,
        component: 'rpc-client',
        event: 'goaway',
        endpoint,
        msg: 'server is draining (GOAWAY): new calls go elsewhere',
      },
      {
        level: 30,
        component: 'transport',
        event: 'disconnected',
        endpoint,
        address: endpoint.slice('tcp://'.length),
        reason: 'disconnected',
        msg: 'client disconnected',
      },
      { level: 30, component: 'rpc-client', event: 'closed', msg: 'client closed' },
    ]);
  });

  it('logs a refused CURVE handshake (unlisted client key) on the server', async () => {
    const serverKeys = generateKeyPair();
    const log = captureLogs();
    const server = createServer({
      logger: log.logger,
      transportOptions: {
        engine,
        curve: serverKeys,
        allowedClientKeys: [generateKeyPair().publicKey],
      },
    });
    resources.defer(() => server.close({ graceMs: 0 }));
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const client = resources.add(
      createClient(Greeter, {
        endpoints: [endpoint],
        transportOptions: {
          curve: { serverPublicKey: serverKeys.publicKey, ...generateKeyPair() },
        },
      }),
    );
    const err = await client.hello({ name: 'x' }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(Code.UNAVAILABLE);
    await waitFor(() => events(log.lines).includes('transport:handshake-refused'), 'refused line');
    // createServer passed its logger down; the exact fields are checked in @xsmb/transport.
    expect(log.lines.find((l) => l.event === 'handshake-refused')).toMatchObject({
      level: 40,
      endpoint,
      mechanism: 'CURVE',
      code: '400',
    });
  });

  it('logs a malformed envelope with its count, the peer and the decoder message', async () => {
    const log = captureLogs();
    const server = createServer({ logger: log.logger }).add(Greeter, impl);
    resources.defer(() => server.close({ graceMs: 0 }));
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const raw = resources.add(createClientTransport(endpoint));
    await raw.ready({ timeoutMs: 10_000 });
    // 0xc1 is never used in MessagePack: the decoder refuses it.
    await raw.send(Uint8Array.of(0xc1));
    await waitFor(() => server.stats().protocolErrors === 1, 'protocol error counted');
    const connected = log.lines.find((l) => l.event === 'connected');
    expect(log.lines.filter((l) => l.event === 'malformed-envelope')).toEqual([
      {
        level: 40,
        component: 'rpc-server',
        event: 'malformed-envelope',
        count: 1,
        peer: connected?.peer,
        detail: expect.any(String),
        msg: 'malformed envelope (counted in protocolErrors)',
      },
    ]);
  });

  it('is silent by default: nothing is written anywhere', async () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    const logged = vi.spyOn(console, 'log');
    try {
      const server = createServer().add(Greeter, impl);
      const [endpoint] = await server.listen('tcp://127.0.0.1:0');
      const client = createClient(Greeter, { endpoints: [endpoint] });
      await within(client.hello({ name: 'ada' }), 10_000, 'call');
      await server.close({ graceMs: 1000 });
      await client.close();
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
      expect(logged).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });
});
