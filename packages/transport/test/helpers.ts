/**
 * Shared test helpers: endpoints per protocol, condition waits (never sleeps
 * as synchronisation), resource tracking and child-process fixtures.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';

export { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';

/** The protocols every data-path test runs over. */
export type Proto = 'tcp' | 'ipc' | 'inproc';
export const PROTOS: readonly Proto[] = ['tcp', 'ipc', 'inproc'];

let seq = 0;
const ipcDir = mkdtempSync(join(tmpdir(), 'xsmb-'));
process.once('exit', () => rmSync(ipcDir, { recursive: true, force: true }));

/** A fresh address to bind for `proto` (tcp picks a free port). */
export function bindAddress(proto: Proto): string {
  seq++;
  switch (proto) {
    case 'tcp':
      return 'tcp://127.0.0.1:0';
    case 'ipc':
      return `ipc://${join(ipcDir, `s${process.pid}-${seq}.sock`)}`;
    case 'inproc':
      return `inproc://xsmb-test-${process.pid}-${seq}`;
  }
}

/**
 * Resolves once `read()` returned the same value `times` polls in a row
 * (`intervalMs` apart): progress stopped. Returns that value.
 */
export async function waitForStall(
  read: () => number,
  what: string,
  times = 5,
  intervalMs = 20,
): Promise<number> {
  let last = read();
  let same = 0;
  await waitFor(
    () => {
      const now = read();
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= times;
    },
    what,
    20_000,
    intervalMs,
  );
  return last;
}

/** Resolves with the next event a transport emits for `event`. */
export function nextEvent<E>(
  source: { on(event: never, listener: (e: E) => void): () => void },
  event: string,
): Promise<E> {
  return new Promise((resolve) => {
    const off = (source.on as (event: string, l: (e: E) => void) => () => void)(event, (e) => {
      off();
      resolve(e);
    });
  });
}

/** One turn of the event loop (check phase), for "not held for a timer" assertions. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A message whose content identifies it: u32 index then a filler byte pattern. */
export function numbered(index: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(4, size));
  buf.writeUInt32BE(index >>> 0, 0);
  for (let i = 4; i < buf.length; i++) buf[i] = (index + i) & 0xff;
  return buf;
}

/** Checks `numbered(index, size)` byte for byte; returns a description of the mismatch or ''. */
export function checkNumbered(message: Uint8Array, index: number, size: number): string {
  const expected = numbered(index, size);
  if (message.length !== expected.length) {
    return `message ${index}: length ${message.length}, expected ${expected.length}`;
  }
  if (!expected.equals(message)) {
    const got = Buffer.from(message.buffer, message.byteOffset, 4).readUInt32BE(0);
    return `message ${index}: content differs (starts with index ${got})`;
  }
  return '';
}

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A running child-process fixture and the JSON lines it printed. */
export interface Fixture {
  readonly child: ChildProcess;
  /** Resolves with the next JSON line printed on stdout. */
  nextLine(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `test/fixtures/<name>` with node and `args`; killed by `resources` cleanup. */
export function startFixture(name: string, args: string[], resources: Resources): Fixture {
  const child = spawn(process.execPath, [join(fixtures, name), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<(line: Record<string, unknown>) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  resources.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    exited,
    nextLine: (timeoutMs = 15_000) => {
      const ready = lines.shift();
      if (ready) return Promise.resolve(ready);
      return within(
        new Promise((resolve) => waiters.push(resolve)),
        timeoutMs,
        `a line from fixture ${name}`,
      );
    },
  };
}

/** A `handshakeFailed` event as the transports emit it. */
export type Failure = { endpoint: string; reason: string; code?: string };

/** Resolves with the first `handshakeFailed` event of `t`. */
export function firstFailure(t: {
  on(e: 'handshakeFailed', l: (e: Failure) => void): () => void;
}): Promise<Failure> {
  return new Promise<Failure>((resolve) => {
    const off = t.on('handshakeFailed', (e) => {
      off();
      resolve(e);
    });
  });
}
