// The server host's link goes down for 5 s (both ends of the veth pair, so
// the root namespace loses its route: sends fail locally, nothing reaches
// the wire), then comes back up.

import { Code } from '@xsmb/rpc';
import { waitFor } from '@xsmb/vitest-config/test-helpers';
import { describe, expect, it } from 'vitest';
import { countByCode, Lab, labAvailable, report, steadyLoad } from './lab.js';

const SECTION = 'link down 5 s';
const DOWN_MS = 5_000;
const CALL_TIMEOUT_MS = 1_500;

describe.skipIf(!labAvailable)('a link that goes down and comes back', () => {
  const lab = new Lab();

  it('calls end in time while it is down; traffic resumes by itself; nothing runs twice', async () => {
    const { host, client } = await lab.connected();

    const load = steadyLoad(client, { prefix: 'l', everyMs: 50, timeoutMs: CALL_TIMEOUT_MS });
    await waitFor(() => load.outcomes.filter((o) => o.code === 'ok').length >= 10, 'healthy calls');
    const downAt = performance.now();
    await host.setLink(false);
    await waitFor(() => performance.now() - downAt >= DOWN_MS, 'the link to stay down', 20_000);
    await host.setLink(true);
    const upAt = performance.now();
    await waitFor(
      () => load.firstOkAfter(upAt) !== undefined,
      'a call after the link is up',
      30_000,
    );
    const firstOk = load.firstOkAfter(upAt)!;
    await waitFor(() => performance.now() - firstOk.settledAt >= 1_000, 'traffic after it');
    await load.stop(CALL_TIMEOUT_MS + 5_000);

    const { outcomes } = load;
    const settle = outcomes.map((o) => o.settledAt - o.startedAt);
    expect(Math.max(...settle)).toBeLessThan(CALL_TIMEOUT_MS + 1_500);
    const failed = outcomes.filter((o) => o.code !== 'ok');
    for (const o of failed) expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain(o.code);
    expect(failed.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.startedAt > firstOk.startedAt && o.code !== 'ok')).toEqual([]);
    const tally = await client.tally({}, { timeoutMs: 20_000 });
    const succeeded = outcomes.length - failed.length;
    expect(tally.duplicated).toEqual([]);
    expect(tally.runs).toBe(tally.ids);
    expect(tally.ids).toBeGreaterThanOrEqual(succeeded);

    report(SECTION, 'calls', `${outcomes.length} (${succeeded} ok, ${countByCode(outcomes)})`);
    report(SECTION, 'longest time to settle, ms', Math.max(...settle).toFixed(0));
    report(
      SECTION,
      'first success after the link came up, ms',
      (firstOk.settledAt - upAt).toFixed(0),
    );
    report(
      SECTION,
      'record handler runs / distinct ids / client successes',
      `${tally.runs} / ${tally.ids} / ${succeeded}`,
    );
  });
});
