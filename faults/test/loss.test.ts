// 2% of the packets between client and server host dropped at random, both
// ways (nftables `numgen random mod 100 < 2 drop` in the host's namespace).
// TCP retransmits; the layers above must neither lose nor duplicate anything.

import { createSubscriber } from '@xsmb/pubsub';
import type { createClient } from '@xsmb/rpc';
import { waitFor } from '@xsmb/vitest-config/test-helpers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Feed, type Probe } from '../src/contract.js';
import type { Host } from '../src/netns.js';
import type { ServerProcess } from '../src/server-process.js';
import { Lab, labAvailable, percentile, report } from './lab.js';

const SECTION = '2% loss';

describe.skipIf(!labAvailable)('2% packet loss (nftables)', () => {
  const lab = new Lab();
  let host: Host;
  let server: ServerProcess;
  let client: ReturnType<typeof createClient<typeof Probe>>;

  beforeAll(async () => {
    ({ host, server, client } = await lab.connected());
    await host.loss(2);
  });

  it('every non-idempotent unary call runs exactly once and answers', async () => {
    const before = await host.retransmittedSegments();
    const dropped = await host.droppedPackets();
    const total = 4_000;
    const latencies: number[] = [];
    let next = 0;
    // 8 callers at a time (small bursts: many packets), each call with its own id.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const id = `loss-${next++}`;
          const t0 = performance.now();
          expect(await client.record({ id }, { timeoutMs: 30_000 })).toEqual({ runs: 1 });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const tally = await client.tally({}, { timeoutMs: 30_000 });
    expect(tally).toEqual({ runs: total, ids: total, duplicated: [] });
    report(
      SECTION,
      `${total} record calls, latency p50/p99/max ms`,
      `${percentile(latencies, 50).toFixed(1)}/${percentile(latencies, 99).toFixed(0)}/${Math.max(...latencies).toFixed(0)}`,
    );
    report(SECTION, 'unary: packets dropped', (await host.droppedPackets()) - dropped);
    report(
      SECTION,
      'unary: server TCP retransmissions',
      (await host.retransmittedSegments()) - before,
    );
  });

  it('a server stream arrives whole, in order, without duplicates', async () => {
    const count = 20_000;
    const dropped = await host.droppedPackets();
    let next = 0;
    const t0 = performance.now();
    for await (const item of client.ticks({ count, bytes: 1024 }, { timeoutMs: 90_000 })) {
      if (item.n !== next) expect.fail(`item ${item.n} arrived where ${next} was due`);
      next++;
    }
    expect(next).toBe(count);
    report(
      SECTION,
      'server stream 20,000 x 1 KiB',
      `${(count / ((performance.now() - t0) / 1000)).toFixed(0)} msg/s`,
    );
    report(SECTION, 'server stream: packets dropped', (await host.droppedPackets()) - dropped);
  });

  it('a client stream arrives whole and in order', async () => {
    const count = 20_000;
    const up = client.upload({}, { timeoutMs: 90_000 });
    for (let n = 0; n < count; n++) await up.send({ n });
    expect(await up.close()).toEqual({ count, inOrder: true });
  });

  it('pub/sub: every message delivered or counted as a gap, exactly', async () => {
    const count = 5_000;
    const sub = createSubscriber({ endpoints: [server.pub] });
    lab.defer(() => sub.close());
    const seen: number[] = [];
    sub.subscribe(Feed, { onMessage: (m) => void seen.push(m.value.n) });
    await sub.ready({ timeoutMs: 30_000 });
    // Subscriptions cross the lossy link too: wait until the publisher has one.
    await waitFor(() => sub.stats().subscriptions === 1, 'the subscription to be active', 30_000);
    // The publisher confirms it sees us by having nothing unmatched afterwards;
    // a first probe round makes sure the subscription arrived.
    let warm = 0;
    while (warm === 0) {
      await client.publish({ count: 1, intervalMs: 0 }, { timeoutMs: 30_000 });
      const s = await client.pubStats({ waitDone: true }, { timeoutMs: 30_000 });
      warm = s.published - s.unmatched;
    }
    await waitFor(() => seen.length > 0, 'the warm-up message', 30_000);
    seen.length = 0;
    const gapsBefore = sub.stats().gaps;
    await client.publish({ count, intervalMs: 0 }, { timeoutMs: 30_000 });
    const stats = await client.pubStats({ waitDone: true }, { timeoutMs: 60_000 });
    const lostAtPublisher = stats.unmatched + stats.dropped;
    await waitFor(
      () => seen.length + (sub.stats().gaps - gapsBefore) >= count - lostAtPublisher,
      'the feed to arrive',
      60_000,
    );
    // In order, no duplicates.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    const missing = count - seen.length;
    expect(sub.stats().gaps - gapsBefore).toBe(missing);
    report(SECTION, `pub/sub ${count} messages: delivered / gaps`, `${seen.length} / ${missing}`);
    report(SECTION, 'packets dropped by nftables over the file', await host.droppedPackets());
  });
});
