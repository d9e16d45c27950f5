/**
 * Child side of the IPC channel: typed sends, buffered waits, and the
 * guarantees every child needs (exit when the parent goes away, report
 * crashes instead of dying silently, bounded shutdown).
 */

import { errorMessage } from './error-message.js';
import type { FromChild, ToChild } from './ipc.js';
import { withTimeout } from './time.js';

type MessageOf<T extends ToChild['t']> = Extract<ToChild, { t: T }>;

/** The channel to the parent, for a child entry point. */
export class ParentChannel {
  private readonly inbox: ToChild[] = [];
  private readonly waiters: { type: ToChild['t']; resolve(m: ToChild): void }[] = [];
  private cleanup: (() => Promise<void>) | null = null;
  private stopping = false;

  constructor() {
    if (!process.send) throw new Error('bench child started without an IPC channel');
    // Parent gone (even killed with -9): nobody will ever stop us.
    process.on('disconnect', () => process.exit(2));
    process.on('message', (message: ToChild) => this.onMessage(message));
    const crash = (error: unknown) => this.fail(error);
    process.on('uncaughtException', crash);
    process.on('unhandledRejection', crash);
  }

  /** Registers what to close when the parent says `stop` (bounded to 2 s). */
  onStop(cleanup: () => Promise<void>): void {
    this.cleanup = cleanup;
  }

  /** Sends a message to the parent. */
  send(message: FromChild): void {
    if (process.connected) process.send?.(message);
  }

  /** Reports a fatal error to the parent and exits shortly after. */
  fail(error: unknown): void {
    this.send({ t: 'error', message: errorMessage(error) });
    // Give the IPC write a moment to leave before the process ends.
    setTimeout(() => process.exit(1), 100);
  }

  /** The next message of `type` from the parent. */
  next<T extends ToChild['t']>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const index = this.inbox.findIndex((m) => m.t === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as MessageOf<T>);
    const waiting = new Promise<MessageOf<T>>((resolve) => {
      this.waiters.push({ type, resolve: resolve as (m: ToChild) => void });
    });
    return withTimeout(waiting, timeoutMs, `waiting for '${type}' from the parent`);
  }

  private onMessage(message: ToChild): void {
    if (message.t === 'stop') {
      void this.stop();
      return;
    }
    const index = this.waiters.findIndex((w) => w.type === message.t);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    else this.inbox.push(message);
  }

  private async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.cleanup) await withTimeout(this.cleanup(), 2000, 'cleanup').catch(() => {});
    process.exit(0);
  }
}
