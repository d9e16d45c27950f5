// The server host's sending rate limited to 8 Mbit/s (`tc qdisc ... tbf`):
// a stream fills the link without loss, and calls on the same connection
// keep answering behind it.

import { describe, expect, it } from 'vitest';
import { Lab, labAvailable, percentile, report } from './lab.js';

const SECTION = 'bandwidth 8 Mbit/s';

describe.skipIf(!labAvailable)('bandwidth limited by tc tbf', () => {
  const lab = new Lab();

  it('a stream saturates the link whole and in order; unary calls still answer', async () => {
    const { host, client } = await lab.connected();
    await host.limitRate('8mbit');

    const count = 3_000;
    const t0 = performance.now();
    let next = 0;
    const stream = (async () => {
      for await (const item of client.ticks({ count, bytes: 1024 }, { timeoutMs: 60_000 })) {
        if (item.n !== next) expect.fail(`item ${item.n} arrived where ${next} was due`);
        next++;
      }
    })();
    // Calls share the connection with the stream while it runs.
    const latencies: number[] = [];
    while (next < count) {
      const c0 = performance.now();
      await client.ping({ n: latencies.length }, { timeoutMs: 30_000 });
      latencies.push(performance.now() - c0);
    }
    await stream;
    const seconds = (performance.now() - t0) / 1000;
    expect(next).toBe(count);
    const mbits = (count * 1024 * 8) / seconds / 1e6;
    // Bounded by the link (tbf lets a burst through first).
    expect(mbits).toBeLessThan(12);
    report(SECTION, 'server stream 3,000 x 1 KiB', `${mbits.toFixed(1)} Mbit/s of payload`);
    report(
      SECTION,
      'unary round trip during the stream p50/max ms',
      `${percentile(latencies, 50).toFixed(0)}/${Math.max(...latencies).toFixed(0)} (${latencies.length} calls)`,
    );
    await host.limitRate(undefined);
  });
});
