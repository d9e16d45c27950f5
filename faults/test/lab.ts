// Shared set-up of the fault suite: probe once, skip with the reason when
// namespaces are unavailable, and clean up every host and process a file made.

import { codeName, createClient, RpcError, type ServiceClient } from '@xsmb/rpc';
import { waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { afterAll } from 'vitest';
import { checkFaultLab } from '../src/availability.js';
import { Probe as ProbeService } from '../src/contract.js';

type Probe = typeof ProbeService;

import { createHost, type Host } from '../src/netns.js';
import { type ServerProcess, type StartServerOptions, startServer } from '../src/server-process.js';

const status = await checkFaultLab();

/** Whether the fault suite can run here; the reason is printed once when it cannot. */
export const labAvailable = status.ok;
if (!status.ok) {
  console.warn(`[faults] skipped: ${status.reason}`);
}

/** Hosts and server processes of one test file, destroyed after its last test. */
export class Lab {
  readonly #cleanups: (() => Promise<void>)[] = [];

  constructor() {
    afterAll(async () => {
      while (this.#cleanups.length > 0) await this.#cleanups.pop()!().catch(() => undefined);
    });
  }

  /** A new host, destroyed after the file. */
  async host(): Promise<Host> {
    const host = await createHost();
    this.#cleanups.push(() => host.destroy());
    return host;
  }

  /** The probe server on `host`, stopped after the file. */
  async server(host: Host, options?: StartServerOptions): Promise<ServerProcess> {
    const server = await startServer(host, options);
    this.#cleanups.push(() => server.kill());
    return server;
  }

  /**
   * A host running the probe server, and a client of it (waiting for ready)
   * whose first call has succeeded: the usual start of a fault test.
   */
  async connected(): Promise<{
    host: Host;
    server: ServerProcess;
    client: ServiceClient<Probe>;
  }> {
    const host = await this.host();
    const server = await this.server(host);
    const client = this.client([server.rpc]);
    await client.ping({ n: 0 }, { timeoutMs: 20_000 });
    return { host, server, client };
  }

  /** A probe client of `endpoints` (options as given), closed after the file. */
  client(endpoints: string[], options: { waitForReady?: boolean } = {}): ServiceClient<Probe> {
    const client = createClient(ProbeService, { endpoints, waitForReady: true, ...options });
    this.defer(() => client.close());
    return client;
  }

  /** Registers one more cleanup (run before the hosts are destroyed). */
  defer(fn: () => Promise<void> | void): void {
    this.#cleanups.push(async () => fn());
  }
}

/** Prints one measured figure, tagged so the README's numbers can be found in a run's output. */
export function report(section: string, what: string, value: string | number): void {
  console.log(`[faults] ${section}: ${what} = ${value}`);
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** How a call or stream ended, and when (`performance.now()`). */
export interface Ending {
  readonly at: number;
  readonly code: number | 'ok';
}

/** Settles with when and how `call` ended (the RPC code of a failure). */
export function ending(call: Promise<unknown>): Promise<Ending> {
  return call.then(
    () => ({ at: performance.now(), code: 'ok' as const }),
    (error: unknown) => ({ at: performance.now(), code: RpcError.from(error).code }),
  );
}

/**
 * Starts an endless server stream of one small item every 10 ms and waits
 * until it flows; `ended` settles with how it ended.
 */
export async function slowStream(
  client: ServiceClient<Probe>,
): Promise<{ ended: Promise<Ending> }> {
  let items = 0;
  const ended = ending(
    (async () => {
      const stream = client.ticks(
        { count: 1_000_000, bytes: 16, intervalMs: 10 },
        { timeoutMs: 120_000 },
      );
      for await (const _ of stream) items++;
    })(),
  );
  await waitFor(() => items > 10, 'the stream to flow', 20_000);
  return { ended };
}

/** Pings until a call succeeds (within `timeoutMs`); resolves with the time it did. */
export async function pingUntilOk(
  client: ServiceClient<Probe>,
  timeoutMs: number,
): Promise<number> {
  const poll = async (): Promise<number> => {
    for (;;) {
      const { code, at } = await ending(client.ping({ n: 0 }, { timeoutMs: 2_000 }));
      if (code === 'ok') return at;
      // Pacing a polling loop, not synchronisation.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return within(poll(), timeoutMs, 'a call to succeed');
}

/** One call of a {@link steadyLoad}. */
export interface Outcome {
  readonly id: string;
  readonly startedAt: number;
  settledAt: number;
  code: number | 'ok' | 'pending';
}

/** A running {@link steadyLoad}. */
export interface SteadyLoad {
  /** Every call so far, in start order. */
  readonly outcomes: Outcome[];
  /** The first call started after `t` that succeeded, once there is one. */
  firstOkAfter(t: number): Outcome | undefined;
  /** Stops starting calls and waits (bounded) until every call has settled. */
  stop(settleMs: number): Promise<void>;
}

/**
 * Starts one call every `everyMs` (a non-idempotent `record` with its own
 * id `<prefix>-<i>`, or the given call), never waiting for ready: during a
 * fault calls must fail, not queue.
 */
export function steadyLoad(
  client: ServiceClient<Probe>,
  options: { prefix: string; everyMs: number; timeoutMs: number },
): SteadyLoad {
  const outcomes: Outcome[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const outcome: Outcome = {
        id: `${options.prefix}-${i}`,
        startedAt: performance.now(),
        settledAt: Number.NaN,
        code: 'pending',
      };
      outcomes.push(outcome);
      const call = client.record(
        { id: outcome.id },
        { timeoutMs: options.timeoutMs, waitForReady: false },
      );
      ending(call).then(({ at, code }) => {
        outcome.code = code;
        outcome.settledAt = at;
      });
      // Pacing the load, not synchronising anything.
      await new Promise((resolve) => setTimeout(resolve, options.everyMs));
    }
  })();
  return {
    outcomes,
    firstOkAfter: (t) => outcomes.find((o) => o.startedAt > t && o.code === 'ok'),
    async stop(settleMs) {
      running = false;
      await loop;
      await waitFor(
        () => outcomes.every((o) => o.code !== 'pending'),
        'every call to settle',
        settleMs,
      );
    },
  };
}

/** "12 DEADLINE_EXCEEDED, 40 UNAVAILABLE": failed outcomes by code name. */
export function countByCode(outcomes: readonly Outcome[]): string {
  const byCode = new Map<string, number>();
  for (const o of outcomes) {
    if (o.code === 'ok' || o.code === 'pending') continue;
    const name = codeName(o.code);
    byCode.set(name, (byCode.get(name) ?? 0) + 1);
  }
  return [...byCode].map(([name, n]) => `${n} ${name}`).join(', ');
}
