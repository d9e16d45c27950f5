// Shared set-up of the fault suite: probe once, skip with the reason when
// namespaces are unavailable, and clean up every host and process a file made.

import { afterAll } from 'vitest';
import { checkFaultLab } from '../src/availability.js';
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
