import { captureLogs } from '@xsmb/vitest-config/log-capture';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBroker,
  createClientTransport,
  createMemoryNetwork,
  createPublisherTransport,
  createServerTransport,
  createSubscriberTransport,
  generateKeyPair,
} from '../src/index.js';
import { Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const ADDRESS = expect.stringMatching(/^127\.0\.0\.1:\d+$/);
// Exact fields: the peer address comes from the zmtp engine (libzmq servers
// do not report it), so these tests pin the engine.
const engine = 'zmtp' as const;

describe('the logger option', () => {
  it('logs connections on both sides with the peer address (info)', async () => {
    const serverLog = captureLogs();
    const clientLog = captureLogs();
    const server = resources.add(createServerTransport({ engine, logger: serverLog.logger }));
    const endpoint = await server.listen('tcp://127.0.0.1:0');
    const client = createClientTransport(endpoint, { engine, logger: clientLog.logger });
    await client.ready({ timeoutMs: 10_000 });
    await waitFor(() => serverLog.lines.length === 1, 'server connected line');
    expect(clientLog.lines).toEqual([
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address: endpoint.slice('tcp://'.length),
        msg: 'client connected',
      },
    ]);
    const peer = expect.stringMatching(/^[0-9a-f]+$/);
    expect(serverLog.lines).toEqual([
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address: ADDRESS,
        peer,
        msg: 'server connected',
      },
    ]);
    await client.close();
    await waitFor(() => serverLog.lines.length === 2, 'server disconnected line');
    expect(serverLog.lines[1]).toEqual({
      level: 30,
      component: 'transport',
      event: 'disconnected',
      endpoint,
      address: serverLog.lines[0]?.address,
      peer: serverLog.lines[0]?.peer,
      reason: 'disconnected',
      msg: 'server disconnected',
    });
  });

  it('logs a refused CURVE handshake with address, mechanism, reason and code (warn)', async () => {
    const serverKeys = generateKeyPair();
    const log = captureLogs();
    const server = resources.add(
      createServerTransport({
        engine,
        logger: log.logger,
        curve: serverKeys,
        allowedClientKeys: [generateKeyPair().publicKey],
      }),
    );
    const endpoint = await server.listen('tcp://127.0.0.1:0');
    const client = resources.add(
      createClientTransport(endpoint, {
        engine,
        curve: { serverPublicKey: serverKeys.publicKey, ...generateKeyPair() },
      }),
    );
    await within(
      client.ready().catch(() => {}),
      10_000,
      'refused client',
    );
    await waitFor(() => log.lines.length === 1, 'handshake-refused line');
    expect(log.lines).toEqual([
      {
        level: 40,
        component: 'transport',
        event: 'handshake-refused',
        endpoint,
        address: ADDRESS,
        mechanism: 'CURVE',
        reason:
          "authentication refused (status 400): the client key is not on the server's allow-list",
        code: '400',
        msg: 'handshake refused',
      },
    ]);
  });

  it('logs a broker: listening, both sides connecting, close with the counters', async () => {
    const log = captureLogs();
    const broker = createBroker({ logger: log.logger });
    const [frontend, backend] = await broker.listen('tcp://127.0.0.1:0', 'tcp://127.0.0.1:0');
    const pub = resources.add(createPublisherTransport());
    pub.connect(frontend);
    const sub = resources.add(createSubscriberTransport({ endpoints: [backend] }));
    sub.subscribe(new Uint8Array(0));
    await broker.waitForSubscribers(1, { timeoutMs: 10_000 });
    await waitFor(() => log.lines.length === 3, 'both connected lines');
    await broker.close();
    const side = (s: string) => log.lines.filter((l) => l.side === s);
    expect(log.lines[0]).toEqual({
      level: 30,
      component: 'broker',
      event: 'listening',
      frontend,
      backend,
      msg: 'broker listening',
    });
    const connected = {
      level: 30,
      component: 'broker',
      event: 'connected',
      address: expect.any(String),
    };
    expect(side('frontend')[0]).toEqual({
      ...connected,
      side: 'frontend',
      msg: 'publisher connected',
    });
    expect(side('backend')[0]).toEqual({
      ...connected,
      side: 'backend',
      msg: 'subscriber connected',
    });
    expect(log.lines.at(-1)).toEqual({
      level: 30,
      component: 'broker',
      event: 'closed',
      ...broker.stats(),
      msg: 'broker closed',
    });
  });

  it('logs through a server that picks its engine at listen', async () => {
    const log = captureLogs();
    const server = resources.add(createServerTransport({ logger: log.logger }));
    const endpoint = await server.listen('tcp://127.0.0.1:0');
    const client = resources.add(createClientTransport(endpoint));
    await client.ready({ timeoutMs: 10_000 });
    // The libzmq engine learns of peers while reading (ROUTER_NOTIFY).
    await client.send(Uint8Array.of(1));
    await within(server[Symbol.asyncIterator]().next(), 10_000, 'message');
    await waitFor(() => log.lines.length === 1, 'server connected line');
    expect(log.lines[0]).toMatchObject({ component: 'transport', event: 'connected', endpoint });
  });
});

describe('the logger option on the in-memory transports', () => {
  it('logs connections, a broken link and its reconnection on both sides', async () => {
    const net = createMemoryNetwork();
    const serverLog = captureLogs();
    const clientLog = captureLogs();
    const server = resources.add(net.server({ logger: serverLog.logger }));
    const endpoint = await server.listen('memory://*');
    const client = resources.add(net.client(endpoint, { logger: clientLog.logger }));
    await client.ready({ timeoutMs: 10_000 });
    await waitFor(() => serverLog.lines.length === 1, 'server connected line');
    net.faults.disconnect(endpoint);
    await waitFor(() => clientLog.lines.length === 3, 'client reconnected line');
    await waitFor(() => serverLog.lines.length === 3, 'server reconnected line');
    const line = (event: string, role: string, extra: Record<string, unknown> = {}) => ({
      level: 30,
      component: 'transport',
      event,
      endpoint,
      ...extra,
      msg: `${role} ${event}`,
    });
    expect(clientLog.lines).toEqual([
      line('connected', 'client'),
      line('disconnected', 'client', { reason: 'disconnected' }),
      line('connected', 'client'),
    ]);
    const peer = expect.stringMatching(/^[0-9a-f]+$/);
    expect(serverLog.lines).toEqual([
      line('connected', 'server', { peer }),
      line('disconnected', 'server', { peer, reason: 'disconnected' }),
      line('connected', 'server', { peer }),
    ]);
  });

  it('logs a memory subscriber losing and finding its publisher', async () => {
    const net = createMemoryNetwork();
    const log = captureLogs();
    const pub = resources.add(net.publisher());
    const endpoint = await pub.listen('memory://*');
    const sub = resources.add(net.subscriber({ endpoints: [endpoint], logger: log.logger }));
    sub.subscribe(new Uint8Array(0));
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    net.faults.disconnect(endpoint);
    await waitFor(() => log.lines.length === 3, 'subscriber reconnected line');
    expect(log.lines.map((l) => [l.event, l.endpoint, l.address, l.reason])).toEqual([
      ['connected', endpoint, endpoint, undefined],
      ['disconnected', endpoint, endpoint, 'disconnected'],
      ['connected', endpoint, endpoint, undefined],
    ]);
  });
});
