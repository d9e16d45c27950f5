/**
 * CURVE and the ZAP allow-list on pub/sub: a binding publisher as CURVE
 * server, subscribers as CURVE clients, and the broker as CURVE server on
 * both sides with an allow-list per side.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  type BrokerEvents,
  type CurveKeyPair,
  createBroker,
  createPublisherTransport,
  createSubscriberTransport,
  type Delivery,
  generateKeyPair,
  type SubscriberTransport,
} from '../src/index.js';
import { ZapAuthenticator } from '../src/zap-authenticator.js';
import { bindAddress, firstFailure, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

function firstBrokerFailure(broker: {
  on(e: 'handshakeFailed', l: (e: BrokerEvents['handshakeFailed']) => void): () => void;
}) {
  return new Promise<BrokerEvents['handshakeFailed']>((resolve) => {
    const off = broker.on('handshakeFailed', (e) => {
      off();
      resolve(e);
    });
  });
}

const topic = (name: string): Buffer => Buffer.from(name);
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

/** The next delivery of `sub`, bounded. */
async function next(sub: SubscriberTransport, what: string): Promise<Delivery> {
  const r = await within(sub[Symbol.asyncIterator]().next(), 10_000, what);
  if (r.done === true) throw new Error(`subscriber ended while waiting for ${what}`);
  return { topic: Buffer.from(r.value.topic), message: Buffer.from(r.value.message) };
}

/** A subscriber connected to `endpoint` as a CURVE client, subscribed to `t.`. */
function curveSubscriber(endpoint: string, serverPublicKey: string, keys: CurveKeyPair) {
  const sub = resources.add(
    createSubscriberTransport({ endpoints: [endpoint], curve: { serverPublicKey, ...keys } }),
  );
  sub.subscribe(topic('t.'));
  return sub;
}

describe('CURVE on pub/sub', () => {
  it('a subscriber with the server key receives encrypted messages', async () => {
    const serverKeys = generateKeyPair();
    const pub = resources.add(createPublisherTransport({ curve: serverKeys }));
    const endpoint = await pub.listen(bindAddress('tcp'));
    const sub = curveSubscriber(endpoint, serverKeys.publicKey, generateKeyPair());
    await pub.waitForSubscribers(1, { topic: topic('t.x'), timeoutMs: 10_000 });
    await pub.publish(topic('t.x'), Buffer.from('secret'));
    const d = await next(sub, 'the encrypted message');
    expect(text(d.topic)).toBe('t.x');
    expect(text(d.message)).toBe('secret');
    expect(pub.stats()).toMatchObject({ handshakeFailures: 0, authDenied: 0 });
  });

  it('a subscriber with the wrong server key receives nothing and gets a handshakeFailed', async () => {
    const serverKeys = generateKeyPair();
    const pub = resources.add(createPublisherTransport({ curve: serverKeys }));
    const endpoint = await pub.listen(bindAddress('tcp'));
    const pubFailure = firstFailure(pub);
    const wrong = resources.add(
      createSubscriberTransport({
        curve: { serverPublicKey: generateKeyPair().publicKey, ...generateKeyPair() },
      }),
    );
    const failure = firstFailure(wrong);
    wrong.connect(endpoint);
    wrong.subscribe(topic('t.'));
    const e = await within(failure, 10_000, 'subscriber handshakeFailed');
    expect(e.reason).toMatch(/protocol error/);
    const p = await within(pubFailure, 10_000, 'publisher handshakeFailed');
    expect(p.code).toBe('ERR_ZMTP_CRYPTOGRAPHIC');
    expect(p.reason).toMatch(/wrong server public key/);
    expect(pub.stats().handshakeFailures).toBeGreaterThan(0);

    // A subscriber with the right key is the yardstick: once it has the
    // message, the wrong one would have had it too.
    const right = curveSubscriber(endpoint, serverKeys.publicKey, generateKeyPair());
    await pub.waitForSubscribers(1, { topic: topic('t.x'), timeoutMs: 10_000 });
    expect(pub.subscriptions()).toEqual(new Map([['t.', 1]]));
    await pub.publish(topic('t.x'), Buffer.from('for the right key only'));
    expect(text((await next(right, 'message to the right subscriber')).message)).toBe(
      'for the right key only',
    );
    expect(wrong.stats().zmqIn).toBe(0);
  });

  it("the publisher's allow-list refuses other subscribers, admits listed ones, and can be updated", async () => {
    const serverKeys = generateKeyPair();
    const allowed = generateKeyPair();
    const other = generateKeyPair();
    const pub = resources.add(
      createPublisherTransport({ curve: serverKeys, allowedClientKeys: [allowed.publicKey] }),
    );
    const endpoint = await pub.listen(bindAddress('tcp'));

    const pubFailure = firstFailure(pub);
    const refused = resources.add(
      createSubscriberTransport({ curve: { serverPublicKey: serverKeys.publicKey, ...other } }),
    );
    const failure = firstFailure(refused);
    refused.connect(endpoint);
    refused.subscribe(topic('t.'));
    const e = await within(failure, 10_000, 'refused subscriber handshakeFailed');
    expect(e.code).toBe('400');
    expect(e.reason).toMatch(/allow-list/);
    const p = await within(pubFailure, 10_000, 'publisher handshakeFailed');
    expect(p.code).toBe('400');
    expect(pub.stats().authDenied).toBeGreaterThan(0);

    const admitted = curveSubscriber(endpoint, serverKeys.publicKey, allowed);
    await pub.waitForSubscribers(1, { topic: topic('t.x'), timeoutMs: 10_000 });
    // Only the admitted subscriber's subscription reached the publisher.
    expect(pub.subscriptions()).toEqual(new Map([['t.', 1]]));
    await pub.publish(topic('t.x'), Buffer.from('admitted'));
    expect(text((await next(admitted, 'message to the admitted subscriber')).message)).toBe(
      'admitted',
    );
    expect(refused.stats().zmqIn).toBe(0);

    // libzmq does not retry a refused key: a new connection is needed.
    pub.setAllowedClientKeys([allowed.publicKey, other.publicKey]);
    const now = curveSubscriber(endpoint, serverKeys.publicKey, other);
    await pub.waitForSubscribers(2, { topic: topic('t.x'), timeoutMs: 10_000 });
    await pub.publish(topic('t.x'), Buffer.from('both'));
    expect(text((await next(now, 'message to the newly allowed subscriber')).message)).toBe('both');
  });

  it('the publisher fails closed: with the authenticator gone, not even an allowed key gets in', async () => {
    const serverKeys = generateKeyPair();
    const allowed = generateKeyPair();
    const pub = resources.add(
      createPublisherTransport({
        // The ZAP authenticator exists only on the libzmq engine.
        engine: 'libzmq',
        curve: serverKeys,
        allowedClientKeys: [allowed.publicKey],
        handshakeTimeoutMs: 500,
      }),
    );
    const endpoint = await pub.listen(bindAddress('tcp'));
    ZapAuthenticator.current()!.close();
    const pubFailure = firstFailure(pub);
    const sub = resources.add(
      createSubscriberTransport({ curve: { serverPublicKey: serverKeys.publicKey, ...allowed } }),
    );
    const failure = firstFailure(sub);
    sub.connect(endpoint);
    sub.subscribe(topic('t.'));
    await within(failure, 10_000, 'subscriber handshakeFailed');
    await within(pubFailure, 10_000, 'publisher handshakeFailed');
    expect(pub.subscriptions().size).toBe(0);
  });

  it('a broker with CURVE carries messages between allowed keys and refuses the others, per side', async () => {
    const brokerKeys = generateKeyPair();
    const pubKeys = generateKeyPair();
    const subKeys = generateKeyPair();
    const stranger = generateKeyPair();
    const broker = resources.add(
      createBroker({
        curve: brokerKeys,
        allowedPublisherKeys: [pubKeys.publicKey],
        allowedSubscriberKeys: [subKeys.publicKey],
      }),
    );
    const [frontend, backend] = await broker.listen(bindAddress('tcp'), bindAddress('tcp'));

    const sub = curveSubscriber(backend, brokerKeys.publicKey, subKeys);
    await broker.waitForSubscribers(1, { topic: topic('t.x'), timeoutMs: 10_000 });
    const pub = resources.add(
      createPublisherTransport({
        curveClient: { serverPublicKey: brokerKeys.publicKey, ...pubKeys },
      }),
    );
    pub.connect(frontend);
    await pub.waitForSubscribers(1, { topic: topic('t.x'), timeoutMs: 10_000 });
    await pub.publish(topic('t.x'), Buffer.from('through the broker'));
    expect(text((await next(sub, 'message through the broker')).message)).toBe(
      'through the broker',
    );

    // A publisher whose key is not on the frontend's list.
    const brokerFailure = firstBrokerFailure(broker);
    const intruder = resources.add(
      createPublisherTransport({
        curveClient: { serverPublicKey: brokerKeys.publicKey, ...stranger },
      }),
    );
    const failure = firstFailure(intruder);
    intruder.connect(frontend);
    const e = await within(failure, 10_000, 'refused publisher handshakeFailed');
    expect(e.code).toBe('400');
    expect(e.reason).toMatch(/allow-list/);
    const b = await within(brokerFailure, 10_000, 'broker handshakeFailed');
    expect(b).toMatchObject({ side: 'frontend', code: '400' });
    expect(broker.stats().publishersDenied).toBeGreaterThan(0);
    // Its message goes nowhere: the next one the subscriber gets is the allowed publisher's.
    await intruder.publish(topic('t.x'), Buffer.from('intruder'));
    await pub.publish(topic('t.x'), Buffer.from('allowed again'));
    expect(text((await next(sub, 'second message through the broker')).message)).toBe(
      'allowed again',
    );
    expect(broker.stats().messagesIn).toBe(2);

    // A subscriber whose key is not on the backend's list.
    const backendFailure = firstBrokerFailure(broker);
    const lurker = resources.add(
      createSubscriberTransport({ curve: { serverPublicKey: brokerKeys.publicKey, ...pubKeys } }),
    );
    const lurkerFailure = firstFailure(lurker);
    lurker.connect(backend);
    lurker.subscribe(topic('t.'));
    expect((await within(lurkerFailure, 10_000, 'refused subscriber')).code).toBe('400');
    expect(await within(backendFailure, 10_000, 'broker backend failure')).toMatchObject({
      side: 'backend',
      code: '400',
    });
    expect(broker.stats().subscribersDenied).toBeGreaterThan(0);
    expect(broker.subscriptions()).toEqual(new Map([['t.', 1]]));
  });

  it('a broker without allow-lists admits any CURVE peer with its public key, and releases its ZAP domains on close', async () => {
    const brokerKeys = generateKeyPair();
    const broker = createBroker({ curve: brokerKeys });
    resources.add(broker);
    const [frontend, backend] = await broker.listen(bindAddress('tcp'), bindAddress('tcp'));
    const auth = ZapAuthenticator.current();
    await waitFor(() => auth?.active === true, 'the authenticator to serve');
    const sub = curveSubscriber(backend, brokerKeys.publicKey, generateKeyPair());
    await broker.waitForSubscribers(1, { timeoutMs: 10_000 });
    const pub = resources.add(
      createPublisherTransport({
        curveClient: { serverPublicKey: brokerKeys.publicKey, ...generateKeyPair() },
      }),
    );
    pub.connect(frontend);
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    await pub.publish(topic('t.1'), Buffer.from('any key'));
    expect(text((await next(sub, 'message from any key')).message)).toBe('any key');
    expect(() => broker.setAllowedPublisherKeys([])).toThrow(TypeError);

    await broker.close();
    // Its two domains were the last ones registered.
    expect(auth!.active).toBe(false);
  });

  it('rejects malformed keys, allow-lists without CURVE, and the wrong CURVE role', async () => {
    const keys = generateKeyPair();
    const client = { serverPublicKey: keys.publicKey, ...generateKeyPair() };
    expect(() => createPublisherTransport({ curve: { publicKey: 'x', secretKey: 'y' } })).toThrow(
      TypeError,
    );
    expect(() => createPublisherTransport({ allowedClientKeys: [] })).toThrow(TypeError);
    expect(() =>
      createPublisherTransport({ curve: keys, allowedClientKeys: ['not a key'] }),
    ).toThrow(/allowedClientKeys\[0\]/);
    expect(() => createPublisherTransport({ curve: keys, curveClient: client })).toThrow(TypeError);
    expect(() =>
      createSubscriberTransport({ curve: { ...client, serverPublicKey: 'short' } }),
    ).toThrow(/curve\.serverPublicKey/);
    expect(() => createBroker({ allowedSubscriberKeys: [] })).toThrow(TypeError);
    expect(() => createBroker({ curve: keys, allowedPublisherKeys: ['nope'] })).toThrow(
      /allowedPublisherKeys\[0\]/,
    );

    const server = resources.add(createPublisherTransport({ curve: keys }));
    expect(() => server.connect('tcp://127.0.0.1:1')).toThrow(/curveClient/);
    expect(() => server.setAllowedClientKeys([])).toThrow(TypeError);
    const asClient = resources.add(createPublisherTransport({ curveClient: client }));
    await expect(asClient.listen(bindAddress('tcp'))).rejects.toThrow(/needs curve/);
  });
});
