// A partition: every packet between client and server host dropped, both
// ways, for 10 s, then healed, under steady traffic (unary calls, a server
// stream, a pub/sub feed), with the transports' default heartbeats
// (1 s interval, 3 s timeout) and reconnects (100 ms doubling to 2 s).

import { createSubscriber } from '@xsmb/pubsub';
import { Code, codeName } from '@xsmb/rpc';
import { waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { describe, expect, it } from 'vitest';
import { Feed } from '../src/contract.js';
import {
  countByCode,
  ending,
  Lab,
  labAvailable,
  percentile,
  report,
  slowStream,
  steadyLoad,
} from './lab.js';

const SECTION = 'partition 10 s';
const PARTITION_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 3_000;
const CALL_TIMEOUT_MS = 2_000;

describe.skipIf(!labAvailable)('partition (100% loss) for 10 s, then healed', () => {
  const lab = new Lab();

  it('calls fail in time, none hangs, traffic resumes by itself, nothing runs twice', async () => {
    const { host, server, client } = await lab.connected();
    const sub = createSubscriber({ endpoints: [server.pub] });
    lab.defer(() => sub.close());
    const seen: number[] = [];
    sub.subscribe(Feed, { onMessage: (m) => void seen.push(m.value.n) });
    await sub.ready({ timeoutMs: 20_000 });
    // Publish a probe until the publisher has the subscription (no slow joiner).
    for (;;) {
      await client.publish({ count: 1, intervalMs: 0 }, { timeoutMs: 20_000 });
      const s = await client.pubStats({ waitDone: true }, { timeoutMs: 20_000 });
      if (s.published > s.unmatched) break;
    }
    await waitFor(() => seen.length > 0, 'the probe message', 20_000);
    seen.length = 0;
    const gapsBefore = sub.stats().gaps;

    // The feed: 100 messages/s for about 20 s, across the partition.
    const feedCount = 2_000;
    await client.publish({ count: feedCount, intervalMs: 10 }, { timeoutMs: 20_000 });

    // A slow server stream running when the partition starts.
    const stream = await slowStream(client);

    // Steady unary load: a non-idempotent call every 50 ms, each with its own id.
    const load = steadyLoad(client, { prefix: 'p', everyMs: 50, timeoutMs: CALL_TIMEOUT_MS });
    const { outcomes } = load;
    await waitFor(() => outcomes.filter((o) => o.code === 'ok').length >= 10, 'healthy calls');

    // Long-budget calls: one running in the handler at the cut, one sent just
    // after it. Their deadlines are far; the heartbeat must end them.
    const running = ending(
      client.sleep({ ms: 60_000 }, { timeoutMs: 60_000, waitForReady: false }),
    );
    const partitionedAt = performance.now();
    await host.partition();
    const sentAfter = ending(
      client.record({ id: 'long-after-cut' }, { timeoutMs: 60_000, waitForReady: false }),
    );
    await waitFor(() => performance.now() - partitionedAt >= PARTITION_MS, 'the partition', 30_000);
    await host.heal();
    const healedAt = performance.now();
    await waitFor(() => load.firstOkAfter(healedAt) !== undefined, 'a call after the heal', 30_000);
    const firstOk = load.firstOkAfter(healedAt)!;
    // Two more seconds of healthy traffic, then stop and let every call settle.
    const resumedAt = firstOk.settledAt;
    await waitFor(() => performance.now() - resumedAt >= 2_000, 'traffic after the heal');
    await load.stop(CALL_TIMEOUT_MS + 5_000);

    // The stream: ended with an error within the heartbeat timeout (+ slack).
    const streamEnd = await within(stream.ended, 20_000, 'the stream to end');
    expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain(streamEnd.code);
    const streamFailedAfter = streamEnd.at - partitionedAt;
    expect(streamFailedAfter).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 3_000);

    // Long budgets: ended UNAVAILABLE by the heartbeat, not at their deadline.
    const longEnds = await within(Promise.all([running, sentAfter]), 5_000, 'long calls');
    for (const end of longEnds) {
      expect(end.code).toBe(Code.UNAVAILABLE);
      expect(end.at - partitionedAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 3_000);
    }

    // Calls: each ended by its deadline (+ slack), with a typed error or a result.
    const settleTimes = outcomes.map((o) => o.settledAt - o.startedAt);
    expect(Math.max(...settleTimes)).toBeLessThan(CALL_TIMEOUT_MS + 1_500);
    const failed = outcomes.filter((o) => o.code !== 'ok');
    for (const o of failed) expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain(o.code);
    // Every call started after the first post-heal success succeeded.
    const after = outcomes.filter((o) => o.startedAt > firstOk.startedAt);
    expect(after.filter((o) => o.code !== 'ok')).toEqual([]);
    // Non-idempotent: no handler ran twice; every success ran exactly once.
    const tally = await client.tally({}, { timeoutMs: 20_000 });
    const succeeded = outcomes.filter((o) => o.code === 'ok').length;
    expect(tally.duplicated).toEqual([]);
    expect(tally.runs).toBe(tally.ids);
    expect(tally.ids).toBeGreaterThanOrEqual(succeeded);

    // Pub/sub: the feed resumed by itself; every message is delivered or a gap.
    await client.pubStats({ waitDone: true }, { timeoutMs: 60_000 });
    await waitFor(() => seen.at(-1) === feedCount, 'the last feed message', 30_000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    const gaps = sub.stats().gaps - gapsBefore;
    expect(seen[0]).toBe(1);
    expect(gaps).toBe(feedCount - seen.length);
    const pub = await client.pubStats({ waitDone: true }, { timeoutMs: 20_000 });

    const during = outcomes.filter((o) => o.startedAt > streamEnd.at && o.startedAt < healedAt);
    report(SECTION, 'calls', `${outcomes.length} (${succeeded} ok, ${countByCode(outcomes)})`);
    report(SECTION, 'longest time to settle, ms', Math.max(...settleTimes).toFixed(0));
    // Once the heartbeat has noticed, calls fail fast instead of waiting.
    const duringSettle = during.map((o) => o.settledAt - o.startedAt);
    expect(during.length).toBeGreaterThan(50);
    expect(Math.max(...duringSettle)).toBeLessThan(1_000);
    report(
      SECTION,
      'calls started once the loss was detected: settle p50/max ms',
      `${percentile(duringSettle, 50).toFixed(0)}/${Math.max(...duringSettle).toFixed(0)}`,
    );
    report(
      SECTION,
      'stream failed after the partition began, ms',
      `${streamFailedAfter.toFixed(0)} (${codeName(streamEnd.code as Code)})`,
    );
    report(
      SECTION,
      'calls with 60 s budgets (in the handler at the cut / sent just after) failed after, ms',
      longEnds
        .map((e) => `${(e.at - partitionedAt).toFixed(0)} (${codeName(e.code as Code)})`)
        .join(' / '),
    );
    report(SECTION, 'first success after the heal, ms', (firstOk.settledAt - healedAt).toFixed(0));
    report(
      SECTION,
      'record handler runs / distinct ids / client successes',
      `${tally.runs} / ${tally.ids} / ${succeeded}`,
    );
    report(
      SECTION,
      `pub/sub ${feedCount} messages at 100/s: delivered / gaps / publisher unmatched`,
      `${seen.length} / ${gaps} / ${pub.unmatched}`,
    );
  });
});
