/**
 * Shared test helpers: condition waits (never sleeps as synchronisation),
 * bounded collection from subscriptions, and resource cleanup.
 */

import {
  createPublisher,
  createSubscriber,
  type Publisher,
  type PublisherOptions,
  type Subscriber,
  type SubscriberOptions,
  type Subscription,
  type TopicMessage,
} from '../src/index.js';

/** Fast heartbeats so a lost peer is noticed quickly in tests. */
export const FAST = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000, lingerMs: 0 } as const;

/**
 * Polls `condition` every `intervalMs` until it holds; rejects after
 * `timeoutMs` with `what` in the message. A bounded wait on a condition.
 */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Rejects when `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/**
 * Takes exactly `count` messages from a subscription (without stopping it),
 * failing after `timeoutMs`.
 */
export async function take<T>(
  sub: Subscription<T>,
  count: number,
  timeoutMs = 30_000,
): Promise<Array<TopicMessage<T>>> {
  const it = sub[Symbol.asyncIterator]();
  const out: Array<TopicMessage<T>> = [];
  const run = async (): Promise<void> => {
    while (out.length < count) {
      const next = await it.next();
      if (next.done === true) throw new Error(`subscription ended after ${out.length} messages`);
      out.push(next.value);
    }
  };
  await within(run(), timeoutMs, `${count} messages (got ${out.length})`);
  return out;
}

/** Collects closables and closes them in reverse order (use in afterEach). */
export class Resources {
  private readonly items: Array<() => unknown> = [];

  /** Registers something with a `close()`; returns it. */
  add<T extends { close(): unknown }>(item: T): T {
    this.items.push(() => item.close());
    return item;
  }

  /** Registers a cleanup function. */
  defer(fn: () => unknown): void {
    this.items.push(fn);
  }

  /** Runs every cleanup, newest first; the first error is rethrown after all ran. */
  async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const fn = this.items.pop()!;
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** A publisher with test-friendly transport settings ({@link FAST}), closed with `resources`. */
export function fastPublisher(resources: Resources, options: PublisherOptions = {}): Publisher {
  return resources.add(
    createPublisher({ ...options, transportOptions: { ...FAST, ...options.transportOptions } }),
  );
}

/** A subscriber with test-friendly transport settings ({@link FAST}), closed with `resources`. */
export function fastSubscriber(resources: Resources, options: SubscriberOptions = {}): Subscriber {
  return resources.add(
    createSubscriber({ ...options, transportOptions: { ...FAST, ...options.transportOptions } }),
  );
}
