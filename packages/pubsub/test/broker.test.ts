/**
 * Many publishers and subscribers meeting at a broker: subscriptions pass
 * through, every message arrives, and sequence tracking per publisher keeps
 * working end to end. Also the broker as a process (`xsmb-pubsub-broker`).
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBroker,
  createPublisher,
  createSubscriber,
  defineTopic,
  type Publisher,
  type Subscriber,
} from '../src/index.js';
import { FAST, Resources, take, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Numbers = defineTopic<{ p: number; i: number }>('numbers');
const PER_PUBLISHER = 20_000;

/** Two publishers connected to `frontend`, two subscribers to `backend`; all messages must arrive. */
async function exchange(
  frontend: string,
  backend: string,
  waitForBrokerSubscribers: () => Promise<void>,
) {
  const subs: Subscriber[] = [0, 1].map(() =>
    resources.add(createSubscriber({ endpoints: [backend], transportOptions: FAST })),
  );
  const feeds = subs.map((s) => s.subscribe(Numbers));
  await within(Promise.all(subs.map((s) => s.ready())), 10_000, 'subscribers ready');
  await waitForBrokerSubscribers();

  const pubs: Publisher[] = [0, 1].map(() =>
    resources.add(createPublisher({ slowSubscriber: 'block', transportOptions: FAST })),
  );
  for (const p of pubs) p.connect(frontend);
  // The broker replays its subscriptions to each publisher that connects.
  await Promise.all(
    pubs.map((p) => p.waitForSubscribers(1, { timeoutMs: 10_000, topic: Numbers })),
  );

  const reading = feeds.map(async (feed) => {
    const next = new Map<string, number>(pubs.map((p) => [p.id, 0]));
    const problems: string[] = [];
    let n = 0;
    for await (const m of feed) {
      const expected = next.get(m.publisher);
      if (expected === undefined || m.value.i !== expected || m.seq !== expected + 1) {
        if (problems.length < 5) problems.push(JSON.stringify(m));
      }
      next.set(m.publisher, (expected ?? 0) + 1);
      if (++n === 2 * PER_PUBLISHER) break;
    }
    return { next, problems, stats: feed.stats() };
  });
  await Promise.all(
    pubs.map(async (pub, p) => {
      for (let i = 0; i < PER_PUBLISHER; i++) await pub.publish(Numbers, { p, i });
    }),
  );
  for (const r of await within(Promise.all(reading), 60_000, 'every message')) {
    expect(r.problems).toEqual([]);
    expect([...r.next.values()]).toEqual([PER_PUBLISHER, PER_PUBLISHER]);
    expect(r.stats).toMatchObject({ received: 2 * PER_PUBLISHER, gaps: 0, invalid: 0 });
  }
  expect(pubs[0]!.id).not.toBe(pubs[1]!.id);
}

describe('broker', () => {
  it('carries all messages of two publishers to two subscribers, numbered per publisher', async () => {
    const broker = resources.add(createBroker({ slowSubscriber: 'block', ...FAST }));
    const [frontend, backend] = await broker.listen('tcp://127.0.0.1:0', 'tcp://127.0.0.1:0');
    await exchange(frontend, backend, () => broker.waitForSubscribers(2, { timeoutMs: 10_000 }));
    const stats = broker.stats();
    expect(stats.drops).toBe(0);
    // Bursts pass through whole: far fewer ZeroMQ messages than messages.
    expect(stats.messagesForwarded).toBeLessThan(PER_PUBLISHER);
  });

  it('counts the gaps of a publisher that restarts behind the broker as a new stream', async () => {
    const broker = resources.add(createBroker(FAST));
    const [frontend, backend] = await broker.listen('tcp://127.0.0.1:0', 'tcp://127.0.0.1:0');
    const sub = resources.add(createSubscriber({ endpoints: [backend], transportOptions: FAST }));
    const feed = sub.subscribe(Numbers);
    await sub.ready({ timeoutMs: 10_000 });
    await broker.waitForSubscribers(1, { timeoutMs: 10_000 });
    const ids: string[] = [];
    for (let life = 0; life < 2; life++) {
      const pub = createPublisher({ transportOptions: FAST });
      pub.connect(frontend);
      await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Numbers });
      for (let i = 0; i < 3; i++) await pub.publish(Numbers, { p: life, i });
      ids.push(pub.id);
      await pub.close();
    }
    const got = await take(feed, 6);
    expect(got.map((m) => [m.publisher, m.seq])).toEqual([
      [ids[0], 1],
      [ids[0], 2],
      [ids[0], 3],
      [ids[1], 1],
      [ids[1], 2],
      [ids[1], 3],
    ]);
    expect(feed.stats().gaps).toBe(0);
  });

  it('runs as a process: xsmb-pubsub-broker', async () => {
    const cli = join(import.meta.dirname, '..', 'dist', 'broker-cli.js');
    if (!existsSync(cli)) throw new Error('dist/broker-cli.js missing: run pnpm build first');
    const child = spawn(
      process.execPath,
      [cli, '--frontend', 'tcp://127.0.0.1:0', '--backend', 'tcp://127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    resources.defer(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await within(lines.next(), 20_000, 'broker endpoints');
    const { frontend, backend } = JSON.parse(first.value as string) as {
      frontend: string;
      backend: string;
    };
    expect(frontend).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const sub = resources.add(createSubscriber({ endpoints: [backend], transportOptions: FAST }));
    const feed = sub.subscribe(Numbers, { key: 'k' });
    await sub.ready({ timeoutMs: 10_000 });
    const pub = resources.add(createPublisher({ transportOptions: FAST }));
    pub.connect(frontend);
    await pub.waitForSubscribers(1, { timeoutMs: 10_000, topic: Numbers, key: 'k' });
    await pub.publish(Numbers, { p: 0, i: 7 }, { key: 'k' });
    expect((await take(feed, 1))[0]!.value).toEqual({ p: 0, i: 7 });

    child.kill('SIGTERM');
    const last = await within(lines.next(), 10_000, 'final stats');
    expect(JSON.parse(last.value as string)).toMatchObject({
      stopped: true,
      stats: { messagesIn: 1, messagesForwarded: 1, drops: 0 },
    });
    expect(await within(exited, 10_000, 'broker exit')).toBe(0);
  });
});
