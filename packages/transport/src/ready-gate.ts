/**
 * The callers of a client's `ready()`: they wait until the connection is up,
 * a bounded time, or a failure that no retry will repair. One gate per
 * client transport, whatever its engine.
 */

import { TransportError } from './errors.js';

interface Waiter {
  resolve(): void;
  reject(error: TransportError): void;
}

/** Waiters for a connection to `endpoint`. */
export class ReadyGate {
  private waiters: Waiter[] = [];

  /** @param endpoint named in the `TIMEOUT` error. */
  constructor(private readonly endpoint: string) {}

  /** Waits for {@link open} or {@link fail}, or rejects with `TIMEOUT` after `timeoutMs`. */
  wait(timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: () => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          if (timer !== undefined) clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new TransportError(
              'TIMEOUT',
              `not connected to ${this.endpoint} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }
    });
  }

  /** The connection is up: every waiter resolves. */
  open(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  /** The connection cannot come up: every waiter rejects with `error`. */
  fail(error: TransportError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
