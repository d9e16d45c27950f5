/**
 * Shared test helpers: condition waits (never sleeps as synchronisation),
 * bounded collection from subscriptions, and resource cleanup.
 */

import { type Resources, within } from '@xsmb/vitest-config/test-helpers';
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

export { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';

/** Fast heartbeats so a lost peer is noticed quickly in tests. */
export const FAST = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000, lingerMs: 0 } as const;

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
