/**
 * CURVE end to end: typed publishers and subscribers with CURVE
 * `transportOptions`, directly and through the broker process
 * (`xsmb-pubsub-broker`) started with keys and allow-lists.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPublisherTransport } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher, createSubscriber, defineTopic, generateKeyPair } from '../src/index.js';
import { FAST, Resources, take, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Orders = defineTopic<{ id: number }>('orders');

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
});
