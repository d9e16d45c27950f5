/**
 * CURVE end to end: typed publishers and subscribers with CURVE
 * `transportOptions`, directly and through the broker process
 * (`xsmb-pubsub-broker`) started with keys and allow-lists; the connection
 * and security events of `publisher.on` / `subscriber.on`, and
 * `publisher.setAllowedClientKeys`.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPublisherTransport, type PublisherTransport } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConnectionEvents,
  createPublisher,
  createSubscriber,
  defineTopic,
  generateKeyPair,
  type Publisher,
  PubSubError,
} from '../src/index.js';
import { FAST, Resources, take, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Orders = defineTopic<{ id: number }>('orders');

/** The first `event` of a publisher or subscriber; the listener is removed once it fired. */
function first<K extends keyof ConnectionEvents>(
  source: Pick<Publisher, 'on'>,
  event: K,
): Promise<ConnectionEvents[K]> {
  return new Promise((resolve) => {
    const off = source.on(event, (e) => {
      off();
      resolve(e);
    });
  });
}

describe('security', () => {
  it('a publisher with an allow-list and a subscriber with CURVE transportOptions exchange messages', async () => {
    const pubKeys = generateKeyPair();
    const subKeys = generateKeyPair();
    const pub = resources.add(
      createPublisher({
        transportOptions: { ...FAST, curve: pubKeys, allowedClientKeys: [subKeys.publicKey] },
      }),
    );
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = resources.add(
      createSubscriber({
        endpoints: [endpoint],
        transportOptions: { ...FAST, curve: { serverPublicKey: pubKeys.publicKey, ...subKeys } },
      }),
    );
    const orders = sub.subscribe(Orders);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { topic: Orders, timeoutMs: 10_000 });
    await pub.publish(Orders, { id: 1 });
    const [m] = await take(orders, 1);
    expect(m).toMatchObject({ value: { id: 1 }, seq: 1, publisher: pub.id });
  });

  it('runs the broker process with CURVE keys: allowed keys meet, another publisher is refused', async () => {
    const cli = join(import.meta.dirname, '..', 'dist', 'broker-cli.js');
    if (!existsSync(cli)) throw new Error('dist/broker-cli.js missing: run pnpm build first');
    const brokerKeys = generateKeyPair();
    const pubKeys = generateKeyPair();
    const subKeys = generateKeyPair();
    const child = spawn(
      process.execPath,
      [
        cli,
        '--frontend',
        'tcp://127.0.0.1:0',
        '--backend',
        'tcp://127.0.0.1:0',
        // `=`: a Z85 key may start with '-'.
        `--curve-public-key=${brokerKeys.publicKey}`,
        `--allow-publisher-key=${pubKeys.publicKey}`,
        `--allow-subscriber-key=${subKeys.publicKey}`,
      ],
      {
        // The secret key from the environment, as recommended (not in `ps`).
        env: { ...process.env, XSMB_BROKER_CURVE_SECRET_KEY: brokerKeys.secretKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    resources.defer(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await within(
      Promise.race([
        lines.next(),
        exited.then((code) => Promise.reject(new Error(`broker exited (${code}): ${stderr}`))),
      ]),
      20_000,
      'broker endpoints',
    );
    const { frontend, backend, curvePublicKey } = JSON.parse(first.value as string) as {
      frontend: string;
      backend: string;
      curvePublicKey: string;
    };
    expect(curvePublicKey).toBe(brokerKeys.publicKey);

    const sub = resources.add(
      createSubscriber({
        endpoints: [backend],
        transportOptions: { ...FAST, curve: { serverPublicKey: brokerKeys.publicKey, ...subKeys } },
      }),
    );
    const orders = sub.subscribe(Orders);
    await sub.ready({ timeoutMs: 10_000 });
    const pub = resources.add(
      createPublisher({
        transportOptions: {
          ...FAST,
          curveClient: { serverPublicKey: brokerKeys.publicKey, ...pubKeys },
        },
      }),
    );
    pub.connect(frontend);
    await pub.waitForSubscribers(1, { topic: Orders, timeoutMs: 10_000 });
    await pub.publish(Orders, { id: 7 });
    expect((await take(orders, 1))[0]!.value).toEqual({ id: 7 });

    // A publisher with a key the broker does not know: its own transport, to see the event.
    const strangerTransport = createPublisherTransport({
      ...FAST,
      curveClient: { serverPublicKey: brokerKeys.publicKey, ...generateKeyPair() },
    });
    const refused = new Promise<{ code?: string }>((resolve) => {
      strangerTransport.on('handshakeFailed', resolve);
    });
    const stranger = resources.add(createPublisher({ transport: strangerTransport }));
    stranger.connect(frontend);
    expect((await within(refused, 10_000, 'refused publisher')).code).toBe('400');
    await stranger.publish(Orders, { id: 666 });
    await waitFor(() => stderr.includes('publisher handshake failed'), 'the broker to log it');

    child.kill('SIGTERM');
    const last = await within(lines.next(), 10_000, 'final stats');
    expect(JSON.parse(last.value as string)).toMatchObject({
      stopped: true,
      stats: { messagesIn: 1, messagesForwarded: 1, publishersDenied: 1, subscribersDenied: 0 },
    });
    expect(await within(exited, 10_000, 'broker exit')).toBe(0);
    expect(orders.stats().received).toBe(1);
  });

  it('a subscriber with the wrong server public key gets handshakeFailed through subscriber.on', async () => {
    const pubKeys = generateKeyPair();
    const pub = resources.add(createPublisher({ transportOptions: { ...FAST, curve: pubKeys } }));
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const pubFailure = first(pub, 'handshakeFailed');
    const sub = resources.add(
      createSubscriber({
        transportOptions: {
          ...FAST,
          curve: { serverPublicKey: generateKeyPair().publicKey, ...generateKeyPair() },
        },
      }),
    );
    const failure = first(sub, 'handshakeFailed');
    sub.subscribe(Orders);
    sub.connect(endpoint);
    const e = await within(failure, 10_000, 'subscriber handshakeFailed');
    expect(e.endpoint).toBe(endpoint);
    expect(e.reason).toMatch(/protocol error/);
    const p = await within(pubFailure, 10_000, 'publisher handshakeFailed');
    expect(p.code).toBe('ERR_ZMTP_CRYPTOGRAPHIC');
    expect(pub.subscriptions()).toEqual([]);
  });

  it('a publisher sees a refused subscriber through publisher.on, and setAllowedClientKeys admits its key', async () => {
    const pubKeys = generateKeyPair();
    const allowed = generateKeyPair();
    const other = generateKeyPair();
    const pub = resources.add(
      createPublisher({
        transportOptions: { ...FAST, curve: pubKeys, allowedClientKeys: [allowed.publicKey] },
      }),
    );
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const connected: Array<ConnectionEvents['connected']> = [];
    pub.on('connected', (e) => connected.push(e));
    const pubFailure = first(pub, 'handshakeFailed');
    const options = {
      endpoints: [endpoint],
      transportOptions: { ...FAST, curve: { serverPublicKey: pubKeys.publicKey, ...other } },
    };
    const refused = resources.add(createSubscriber(options));
    const refusedFailure = first(refused, 'handshakeFailed');
    refused.subscribe(Orders);
    const p = await within(pubFailure, 10_000, 'publisher handshakeFailed');
    expect(p.code).toBe('400');
    expect(p.reason).toMatch(/allow-list/);
    expect((await within(refusedFailure, 10_000, 'subscriber handshakeFailed')).code).toBe('400');
    expect(pub.subscriptions()).toEqual([]);
    expect(connected).toEqual([]);

    // libzmq does not retry a refused key: the key gets in on a new connection.
    pub.setAllowedClientKeys([allowed.publicKey, other.publicKey]);
    const admitted = resources.add(createSubscriber(options));
    const orders = admitted.subscribe(Orders);
    await admitted.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { topic: Orders, timeoutMs: 10_000 });
    await pub.publish(Orders, { id: 2 });
    expect((await take(orders, 1))[0]!.value).toEqual({ id: 2 });
    expect(connected).toHaveLength(1);
    expect(refused.stats().received).toBe(0);

    expect(() => pub.setAllowedClientKeys(['not a key'])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const open = resources.add(createPublisher({ transportOptions: { ...FAST, curve: pubKeys } }));
    expect(() => open.setAllowedClientKeys([other.publicKey])).toThrow(
      expect.objectContaining({ name: 'PubSubError', code: 'INVALID_ARGUMENT' }),
    );
    await pub.close();
    expect(() => pub.setAllowedClientKeys([])).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('subscriber.on gets connected and disconnected as publishers come and go; unsubscribing stops delivery', async () => {
    const sub = resources.add(createSubscriber({ transportOptions: FAST }));
    const seen: string[] = [];
    const yardstick: string[] = [];
    const off = sub.on('connected', (e) => seen.push(e.endpoint));
    sub.on('connected', (e) => yardstick.push(e.endpoint));
    const gone: Array<ConnectionEvents['disconnected']> = [];
    sub.on('disconnected', (e) => gone.push(e));
    sub.on('connected', () => {
      throw new Error('a buggy listener');
    });

    const pubOne = resources.add(createPublisher({ transportOptions: FAST }));
    const [one] = await pubOne.listen('tcp://127.0.0.1:0');
    sub.connect(one);
    // The throwing listener breaks neither readiness nor the other listeners.
    await sub.ready({ timeoutMs: 10_000 });
    await waitFor(() => seen.length === 1, 'connected');
    expect(seen).toEqual([one]);
    expect(sub.stats().listenerErrors).toBe(1);

    await pubOne.close();
    await waitFor(() => gone.length === 1, 'disconnected');
    expect(gone[0]).toMatchObject({ endpoint: one, reason: 'disconnected' });

    off();
    off(); // idempotent
    const pubTwo = resources.add(createPublisher({ transportOptions: FAST }));
    const [two] = await pubTwo.listen('tcp://127.0.0.1:0');
    sub.connect(two);
    // The yardstick listener got the new connection, so the removed one would have too.
    await waitFor(() => yardstick.includes(two), 'connected to the second publisher');
    expect(seen).toEqual([one]);
    expect(() => sub.on('dropped' as 'connected', () => {})).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('forwards on to an injected transport; setAllowedClientKeys needs a transport that has it', async () => {
    const inner = resources.add(createPublisherTransport(FAST));
    // Only the PublisherTransport interface: no setAllowedClientKeys.
    const transport: PublisherTransport = {
      on: (event, listener) => inner.on(event, listener),
      stats: () => inner.stats(),
      close: () => inner.close(),
      get closed() {
        return inner.closed;
      },
      listen: (endpoint) => inner.listen(endpoint),
      connect: (endpoint) => inner.connect(endpoint),
      get endpoints() {
        return inner.endpoints;
      },
      publish: (topic, message) => inner.publish(topic, message),
      subscriptions: () => inner.subscriptions(),
      waitForSubscribers: (count, options) => inner.waitForSubscribers(count, options),
    };
    const pub = resources.add(createPublisher({ transport }));
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const connected = first(pub, 'connected');
    resources.add(createSubscriber({ endpoints: [endpoint], transportOptions: FAST }));
    expect((await within(connected, 10_000, 'connected')).peer).toEqual(expect.any(String));
    expect(() => pub.setAllowedClientKeys([])).toThrow(PubSubError);
    expect(() => pub.setAllowedClientKeys([])).toThrow(/setAllowedClientKeys/);
  });
});
