import { afterEach, describe, expect, it } from 'vitest';
import {
  createBroker,
  createPublisherTransport,
  createSubscriberTransport,
  type Delivery,
  generateKeyPair,
} from '../src/index.js';
import {
  bindAddress,
  checkNumbered,
  numbered,
  PROTOS,
  Resources,
  waitFor,
  within,
} from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
const topic = (name: string): Buffer => Buffer.from(name);

/** Reads deliveries until `stop` says so; returns them. */
async function collect(
  sub: AsyncIterable<Delivery>,
  stop: (d: Delivery, all: Delivery[]) => boolean,
): Promise<Delivery[]> {
  const all: Delivery[] = [];
  for await (const d of sub) {
    all.push({ topic: Buffer.from(d.topic), message: Buffer.from(d.message) });
    if (stop(d, all)) break;
  }
  return all;
}

describe('pub/sub', () => {
  for (const proto of PROTOS) {
    it(`delivers by topic prefix, in order, over ${proto}`, async () => {
      // inproc:// (libzmq's only) picks the libzmq engine by itself.
      const pub = resources.add(createPublisherTransport());
      const endpoint = await pub.listen(bindAddress(proto));
      const sub = resources.add(createSubscriberTransport({ endpoints: [endpoint] }));
      sub.subscribe(topic('a.'));
      // The slow joiner: publish only once the subscription reached the publisher.
      await pub.waitForSubscribers(1, { topic: topic('a.x'), timeoutMs: 10_000 });
      expect(pub.subscriptions()).toEqual(new Map([['a.', 1]]));

      for (let i = 0; i < 1000; i++) {
        await pub.publish(topic(i % 2 === 0 ? 'a.even' : 'b.odd'), numbered(i, 32));
      }
      await pub.publish(topic('a.end'), Buffer.from('end'));
      const got = await within(
        collect(sub, (d) => text(d.topic) === 'a.end'),
        10_000,
        'deliveries',
      );
      expect(got).toHaveLength(501);
      got.slice(0, 500).forEach((d, k) => {
        expect(text(d.topic)).toBe('a.even');
        expect(checkNumbered(d.message, 2 * k, 32)).toBe('');
      });
      expect(pub.stats().bursts).toBeGreaterThan(0);
    });
  }

  it('a publisher without engine picks libzmq for inproc://, even with XSMB_ENGINE=zmtp', async () => {
    const saved = process.env.XSMB_ENGINE;
    process.env.XSMB_ENGINE = 'zmtp';
    try {
      const pub = resources.add(createPublisherTransport());
      // Listeners and waits registered before the engine exists carry over.
      const connected: string[] = [];
      pub.on('connected', (e) => connected.push(e.endpoint));
      expect(pub.stats().messagesOut).toBe(0);
      const endpoint = await pub.listen(bindAddress('inproc'));
      expect(pub.endpoints).toEqual([endpoint]);
      const sub = resources.add(createSubscriberTransport({ endpoints: [endpoint] }));
      sub.subscribe(topic('in'));
      await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
      await pub.publish(topic('in.x'), Buffer.from('hello'));
      const got = await within(
        collect(sub, () => true),
        10_000,
        'a delivery',
      );
      expect(text(got[0]!.message)).toBe('hello');
      expect(pub.stats().messagesOut).toBe(1);
      // An explicit engine is still obeyed: zmtp has no inproc://.
      const zmtp = resources.add(createPublisherTransport({ engine: 'zmtp' }));
      await expect(zmtp.listen(bindAddress('inproc'))).rejects.toMatchObject({
        code: 'INVALID_ENDPOINT',
      });
    } finally {
      if (saved === undefined) delete process.env.XSMB_ENGINE;
      else process.env.XSMB_ENGINE = saved;
    }
  });

  it('before its first endpoint, a publisher checks setAllowedClientKeys as the real one would', () => {
    const keys = generateKeyPair();
    const open = resources.add(createPublisherTransport({ curve: keys }));
    expect(() => open.setAllowedClientKeys([generateKeyPair().publicKey])).toThrow(TypeError);
    const listed = resources.add(createPublisherTransport({ curve: keys, allowedClientKeys: [] }));
    expect(() => listed.setAllowedClientKeys(['not a key'])).toThrow(TypeError);
    listed.setAllowedClientKeys([generateKeyPair().publicKey]);
  });

  it('a publisher waits for subscribers before its first endpoint, within the timeout', async () => {
    const pub = resources.add(createPublisherTransport());
    await expect(pub.waitForSubscribers(1, { timeoutMs: 30 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    const waiting = pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    const endpoint = await pub.listen(bindAddress('tcp'));
    const sub = resources.add(createSubscriberTransport({ endpoints: [endpoint] }));
    sub.subscribe(topic(''));
    await waiting;
  });

  it('waitForSubscribers counts each subscriber and times out with TIMEOUT', async () => {
    const pub = resources.add(createPublisherTransport());
    const endpoint = await pub.listen(bindAddress('tcp'));
    const s1 = resources.add(createSubscriberTransport({ endpoints: [endpoint] }));
    const s2 = resources.add(createSubscriberTransport({ endpoints: [endpoint] }));
    s1.subscribe(topic('x'));
    s2.subscribe(topic('x'));
    await pub.waitForSubscribers(2, { topic: topic('x.1'), timeoutMs: 10_000 });
    expect(pub.subscriptions().get('x')).toBe(2);
    await expect(pub.waitForSubscribers(3, { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    await expect(
      pub.waitForSubscribers(1, { topic: topic('y'), timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    s2.unsubscribe(topic('x'));
    await waitFor(() => pub.subscriptions().get('x') === 1, 'the unsubscription');
  });

  it('a broker forwards two publishers to two subscribers, and subscriptions back', async () => {
    const broker = resources.add(createBroker());
    const [frontend, backend] = await broker.listen(bindAddress('tcp'), bindAddress('tcp'));
    expect(frontend).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const subs = [0, 1].map(() =>
      resources.add(createSubscriberTransport({ endpoints: [backend] })),
    );
    for (const s of subs) s.subscribe(topic('p'));
    await broker.waitForSubscribers(2, { topic: topic('p'), timeoutMs: 10_000 });
    const pubs = [0, 1].map(() => resources.add(createPublisherTransport()));
    for (const p of pubs) p.connect(frontend);
    await Promise.all(
      pubs.map((p) => p.waitForSubscribers(1, { topic: topic('p'), timeoutMs: 10_000 })),
    );

    const N = 5_000;
    const done = subs.map((s) =>
      collect(s, (_, all) => all.length === 2 * N).then((all) => {
        const next = [0, 0];
        for (const d of all) {
          const from = text(d.topic) === 'p0' ? 0 : 1;
          const problem = checkNumbered(d.message, next[from]!, 64);
          if (problem !== '') throw new Error(`${text(d.topic)} ${problem}`);
          next[from]!++;
        }
        return next;
      }),
    );
    await Promise.all(
      pubs.map(async (p, k) => {
        for (let i = 0; i < N; i++) await p.publish(topic(`p${k}`), numbered(i, 64));
      }),
    );
    for (const d of done) expect(await within(d, 20_000, 'subscriber')).toEqual([N, N]);
    const stats = broker.stats();
    expect(stats.drops).toBe(0);
    expect(stats.messagesForwarded).toBe(stats.messagesIn);
    expect(stats.subscriptionsForwarded).toBeGreaterThanOrEqual(2);
  });
});
