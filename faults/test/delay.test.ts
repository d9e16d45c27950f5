// 50 ms ± 10 ms of one-way delay in each direction (RTT ≈ 100 ms), through
// the delaying proxy in front of a server host: deadlines hold, streams
// arrive whole and in order, and the default windows' throughput is reported.

import { Code, RpcError, type ServiceClient } from '@xsmb/rpc';
import { describe, expect, it } from 'vitest';
import type { Probe } from '../src/contract.js';
import { createDelayProxy } from '../src/delay-proxy.js';
import { Lab, labAvailable, percentile, report } from './lab.js';

const SECTION = 'delay 50±10 ms';

describe.skipIf(!labAvailable)('50 ms ± 10 ms delay (proxy)', () => {
  const lab = new Lab();
  let client: ServiceClient<typeof Probe> | undefined;

  const setUp = async (): Promise<ServiceClient<typeof Probe>> => {
    if (client) return client;
    const host = await lab.host();
    const server = await lab.server(host);
    const proxy = await createDelayProxy({
      targetHost: host.address,
      targetPort: server.rpcPort,
      delayMs: 50,
      jitterMs: 10,
    });
    lab.defer(() => proxy.close());
    const c = lab.client([proxy.endpoint]);
    client = c;
    return c;
  };

  it('unary calls succeed; round trips are reported', async () => {
    const c = await setUp();
    await c.ping({ n: -1 }, { timeoutMs: 10_000 });
    const rtts: number[] = [];
    for (let n = 0; n < 40; n++) {
      const t0 = performance.now();
      expect(await c.ping({ n }, { timeoutMs: 5_000 })).toEqual({ n });
      rtts.push(performance.now() - t0);
    }
    // The proxy adds at least 40 ms each way.
    expect(Math.min(...rtts)).toBeGreaterThanOrEqual(75);
    report(
      SECTION,
      'unary round trip p50/p99 ms',
      `${percentile(rtts, 50).toFixed(0)}/${percentile(rtts, 99).toFixed(0)}`,
    );
    // 200 calls at once: the delay is paid once, not per call.
    const t0 = performance.now();
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, n) => c.ping({ n }, { timeoutMs: 10_000 })),
    );
    expect(all.map((r) => r.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    report(SECTION, '200 concurrent unary calls ms', (performance.now() - t0).toFixed(0));
  });

  it('a budget shorter than the round trip ends in DEADLINE_EXCEEDED by its deadline', async () => {
    const c = await setUp();
    const late: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const error = await c.ping({ n: i }, { timeoutMs: 40 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
      late.push(performance.now() - t0 - 40);
    }
    // Bounded by the deadline, not by the round trip (generous for a loaded machine).
    expect(Math.max(...late)).toBeLessThan(1_000);
    report(
      SECTION,
      'DEADLINE_EXCEEDED after the 40 ms deadline, max late ms',
      Math.max(...late).toFixed(0),
    );
    // A handler slower than the budget: the client gives up at the deadline.
    const t0 = performance.now();
    const error = await c.sleep({ ms: 2_000 }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(performance.now() - t0).toBeLessThan(1_300);
    // The connection is still good afterwards.
    expect(await c.ping({ n: 7 }, { timeoutMs: 5_000 })).toEqual({ n: 7 });
  });

  it('a server stream arrives whole and in order; throughput with the default windows', async () => {
    const c = await setUp();
    const count = 20_000;
    const t0 = performance.now();
    let next = 0;
    let bytes = 0;
    for await (const item of c.ticks({ count, bytes: 1024 }, { timeoutMs: 60_000 })) {
      expect(item.n).toBe(next++);
      bytes += item.pad.byteLength;
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(next).toBe(count);
    report(
      SECTION,
      'server stream 20,000 x 1 KiB',
      `${(count / seconds).toFixed(0)} msg/s, ${(bytes / seconds / 2 ** 20).toFixed(1)} MiB/s`,
    );
  });

  it('a client stream arrives whole and in order; throughput with the default windows', async () => {
    const c = await setUp();
    const count = 20_000;
    const t0 = performance.now();
    const up = c.upload({}, { timeoutMs: 60_000 });
    for (let n = 0; n < count; n++) await up.send({ n });
    expect(await up.close()).toEqual({ count, inOrder: true });
    const seconds = (performance.now() - t0) / 1000;
    report(SECTION, 'client stream 20,000 small messages', `${(count / seconds).toFixed(0)} msg/s`);
  });
});
