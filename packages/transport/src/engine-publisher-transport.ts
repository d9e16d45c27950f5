/**
 * A publisher transport whose engine is chosen by its first `listen()` or
 * `connect()` (see engine-choosing.ts), so that `inproc://` picks libzmq by
 * itself. Publishing before either makes it on the default engine (the
 * messages reach nobody yet, as on any publisher without subscribers).
 */

import { EngineChoosing } from './engine-choosing.js';
import { TransportError } from './errors.js';
import type { PublisherTransportStats, ZmqPublisherTransport } from './publisher-transport.js';
import { closedError } from './socket-options.js';
import { newStats } from './stats.js';

/** {@link ZmqPublisherTransport} that creates its engine's transport on the first endpoint. */
export class EngineChoosingPublisher
  extends EngineChoosing<ZmqPublisherTransport>
  implements ZmqPublisherTransport
{
  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    this.realize(endpoint).connect(endpoint);
  }

  publish(topic: Uint8Array, message: Uint8Array): Promise<void> {
    if (this.inner !== undefined) return this.inner.publish(topic, message);
    return this.withRealized(undefined, (inner) => inner.publish(topic, message));
  }

  subscriptions(): ReadonlyMap<string, number> {
    return this.inner?.subscriptions() ?? new Map();
  }

  waitForSubscribers(
    count: number,
    options: { topic?: Uint8Array; timeoutMs?: number } = {},
  ): Promise<void> {
    if (this.inner !== undefined) return this.inner.waitForSubscribers(count, options);
    if (this.closedFlag) return Promise.reject(closedError());
    if (count <= 0) return Promise.resolve();
    // No socket yet, so no subscriber: wait for it, within the same deadline.
    const started = performance.now();
    const waiting = this.innerReady.then((inner) => {
      if (inner === undefined) throw closedError();
      const { timeoutMs } = options;
      if (timeoutMs === undefined) return inner.waitForSubscribers(count, options);
      const left = Math.max(0, timeoutMs - (performance.now() - started));
      return inner.waitForSubscribers(count, { ...options, timeoutMs: left });
    });
    const { timeoutMs } = options;
    if (timeoutMs === undefined) return waiting;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new TransportError('TIMEOUT', `0 of ${count} subscribers after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([waiting, timeout]).finally(() => clearTimeout(timer));
  }

  stats(): PublisherTransportStats {
    return (
      this.inner?.stats() ?? { ...newStats(), unmatched: 0, handshakeFailures: 0, authDenied: 0 }
    );
  }
}
