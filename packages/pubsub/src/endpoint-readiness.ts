/**
 * A subscriber's endpoints and which of them are connected right now, for
 * `ready()`: resolves once every endpoint has a connection up (and, with
 * discovery, once the resolvers have answered).
 */

import type { TransportBase } from '@xsmb/transport';
import { PubSubError } from './pubsub-error.js';

interface ReadyWaiter {
  readonly resolve: () => void;
  readonly reject: (error: PubSubError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Tracks the connections of one transport. */
export class EndpointReadiness {
  /** Endpoints connected to (as given), in order. */
  readonly endpoints: string[] = [];
  private readonly connected = new Set<string>();
  private waiters: ReadyWaiter[] = [];
  /** True while discovery has not answered yet: the endpoint list is not known. */
  private pending = false;

  /** Listens to `transport`'s `connected` and `disconnected` events. */
  constructor(transport: Pick<TransportBase, 'on'>) {
    transport.on('connected', (e) => {
      this.connected.add(e.endpoint);
      this.settle();
    });
    transport.on('disconnected', (e) => {
      this.connected.delete(e.endpoint);
    });
  }

  /** Records one more endpoint connected to. */
  add(endpoint: string): void {
    this.endpoints.push(endpoint);
  }

  /** Forgets an endpoint discovery removed (`ready()` no longer waits for it). */
  remove(endpoint: string): void {
    const i = this.endpoints.indexOf(endpoint);
    if (i >= 0) this.endpoints.splice(i, 1);
    this.connected.delete(endpoint);
    this.settle();
  }

  /** Whether a connection to `endpoint` is up now. */
  isConnected(endpoint: string): boolean {
    return this.connected.has(endpoint);
  }

  /** Holds `ready()` back while discovery has not answered (`true`), or lets it go on. */
  setPending(pending: boolean): void {
    this.pending = pending;
    this.settle();
  }

  /** Resolves once every endpoint is connected; rejects with `TIMEOUT` after `timeoutMs`. */
  wait(timeoutMs: number | undefined): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadyWaiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const up = this.endpoints.filter((e) => this.connected.has(e)).length;
          reject(
            new PubSubError(
              'TIMEOUT',
              `${up} of ${this.endpoints.length} endpoints connected after ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** Rejects every pending {@link wait} with `CLOSED`. */
  close(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new PubSubError('CLOSED', 'subscriber is closed'));
    }
  }

  private isReady(): boolean {
    if (this.pending) return false;
    const endpoints = this.endpoints;
    // The transport reports the address it connected to, normally the string
    // given to connect(); the count covers a transport that rewrites it.
    return endpoints.every((e) => this.connected.has(e)) || this.connected.size >= endpoints.length;
  }

  private settle(): void {
    if (this.waiters.length === 0 || !this.isReady()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }
}
