/**
 * Sending on an XPUB (publisher and broker) under a slow-subscriber policy,
 * and the bookkeeping of XPUB subscription notifications.
 */

import type { XPublisher } from 'zeromq';
import { TransportError } from './errors.js';
import { delay, errnoCode } from './socket-options.js';

/**
 * What a publisher does when a subscriber's queue (ZMQ_SNDHWM) is full.
 * - `'drop'`: the ZeroMQ message is dropped, counted in `drops` and reported
 *   through the `dropped` event. With ZMQ_XPUB_NODROP a full subscriber makes
 *   libzmq refuse the message for every subscriber it matches, so the
 *   publisher knows exactly what it dropped.
 * - `'block'`: the send is retried with a backoff (1 ms doubling to 50 ms)
 *   until it fits; the send queue fills and `publish` waits. Nothing is lost,
 *   and the slowest subscriber sets the pace.
 */
export type SlowSubscriberPolicy = 'drop' | 'block';

/** Outcome of {@link sendToSubscribers}. */
export type FanoutResult = 'sent' | 'dropped' | 'closed';

const MAX_BLOCK_BACKOFF_MS = 50;

/**
 * Sends one ZeroMQ message on an XPUB created with `noDrop: true` and
 * `sendTimeout: 0` (so a full subscriber fails the send at once with EAGAIN).
 */
export async function sendToSubscribers(
  socket: XPublisher,
  frames: Array<Buffer | Uint8Array>,
  policy: SlowSubscriberPolicy,
): Promise<FanoutResult> {
  let backoff = 0;
  for (;;) {
    try {
      await socket.send(frames);
      return 'sent';
    } catch (error) {
      if (socket.closed) return 'closed';
      if (errnoCode(error) !== 'EAGAIN' || policy === 'drop') return 'dropped';
      backoff = backoff === 0 ? 1 : Math.min(MAX_BLOCK_BACKOFF_MS, backoff * 2);
      await delay(backoff);
      if (socket.closed) return 'closed';
    }
  }
}

interface SubscriberWaiter {
  readonly count: number;
  readonly topic: string | undefined;
  readonly resolve: () => void;
  readonly reject: (error: TransportError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Options of `waitForSubscribers` (publishers and brokers). */
export interface SubscriberWaitOptions {
  /** Count only subscriptions that deliver this topic. Default: any topic. */
  readonly topic?: Uint8Array;
  /** Reject with `TIMEOUT` after this many milliseconds. Default: wait forever. */
  readonly timeoutMs?: number;
}

/**
 * Subscription counts from XPUB notifications (`0x01` + prefix to subscribe,
 * `0x00` + prefix to unsubscribe), keyed by the prefix as a latin1 string.
 * The XPUB must use ZMQ_XPUB_VERBOSER (`verbosity: 'allSubsUnsubs'`) so that
 * every subscriber's (un)subscription is seen, not only the first and last.
 */
export class SubscriptionTable {
  private readonly counts = new Map<string, number>();
  private waiters: SubscriberWaiter[] = [];
  /** Bumped whenever the set of prefixes changes, so cached matches can be checked. */
  version = 0;
  /**
   * Whether a topic frame matched, per frame object (callers such as
   * @xsmb/pubsub reuse one frame per stream): the table's version when it
   * matched, its bitwise complement when it did not.
   */
  private readonly matchCache = new WeakMap<Uint8Array, number>();

  /** {@link matchesCached} as a function to pass around (e.g. to `matchedOnly`). */
  readonly matcher = (topic: Uint8Array): boolean => this.matchesCached(topic);

  /** {@link matchesAny}, remembered per frame object until the prefixes change. */
  matchesCached(topic: Uint8Array): boolean {
    const version = this.version;
    const cached = this.matchCache.get(topic);
    if (cached === version) return true;
    if (cached === ~version) return false;
    const matched = this.matchesAny(topic);
    this.matchCache.set(topic, matched ? version : ~version);
    return matched;
  }

  /** A copy of the counts per prefix: the `subscriptions()` of a publisher or broker. */
  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.counts);
  }

  /** Applies one XPUB notification; returns false when it was not one. */
  apply(frame: Uint8Array): boolean {
    if (frame.length === 0) return false;
    const kind = frame[0];
    if (kind !== 0 && kind !== 1) return false;
    const prefix = Buffer.from(frame.buffer, frame.byteOffset + 1, frame.length - 1).toString(
      'latin1',
    );
    const n = this.counts.get(prefix) ?? 0;
    if (kind === 1) this.counts.set(prefix, n + 1);
    else if (n <= 1) this.counts.delete(prefix);
    else this.counts.set(prefix, n - 1);
    if ((kind === 1 && n === 0) || (kind === 0 && n <= 1)) this.version++;
    if (kind === 1 && this.waiters.length > 0) this.check();
    return true;
  }

  /** Whether some subscription's prefix is a prefix of `topic` (bytes; no allocation). */
  matchesAny(topic: Uint8Array): boolean {
    outer: for (const prefix of this.counts.keys()) {
      const length = prefix.length;
      if (length > topic.length) continue;
      for (let i = 0; i < length; i++) {
        if (prefix.charCodeAt(i) !== topic[i]) continue outer;
      }
      return true;
    }
    return false;
  }

  /** Subscriptions that deliver `topic` (every subscription when undefined). */
  matching(topic: string | undefined): number {
    let total = 0;
    for (const [prefix, n] of this.counts) {
      if (topic === undefined || topic.startsWith(prefix)) total += n;
    }
    return total;
  }

  /**
   * Resolves once `count` subscriptions match `options.topic`: the
   * `waitForSubscribers` of a publisher or broker, which passes `closed` (its
   * `CLOSED` error) once it has closed, to reject at once.
   */
  wait(
    count: number,
    options: SubscriberWaitOptions,
    closed: TransportError | undefined,
  ): Promise<void> {
    if (closed !== undefined) return Promise.reject(closed);
    const { topic, timeoutMs } = options;
    const key = topic === undefined ? undefined : Buffer.from(topic).toString('latin1');
    if (this.matching(key) >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: SubscriberWaiter = { count, topic: key, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new TransportError(
              'TIMEOUT',
              `${this.matching(key)} of ${count} subscribers after ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiter (the socket closed). */
  fail(error: TransportError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  private check(): void {
    const still: SubscriberWaiter[] = [];
    for (const w of this.waiters) {
      if (this.matching(w.topic) >= w.count) {
        clearTimeout(w.timer);
        w.resolve();
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }
}

/** An XPUB notification frame (`0x01`/`0x00` + prefix), as {@link SubscriptionTable.apply} takes. */
export function subscriptionFrame(subscribe: boolean, prefix: Uint8Array): Uint8Array {
  const frame = new Uint8Array(prefix.length + 1);
  frame[0] = subscribe ? 1 : 0;
  frame.set(prefix, 1);
  return frame;
}

/**
 * The messages of `items[start, end)` whose topic frame some subscription
 * matches, with their topics, or `undefined` when all match (nothing to
 * copy: the common case). Messages no subscription matches reach nobody
 * (ZeroMQ discards them): publishers count and leave them out, so that the
 * runs around them join into bursts. `matches` is asked once per run of one
 * frame object.
 */
export function matchedOnly(
  items: readonly Uint8Array[],
  topics: readonly Uint8Array[],
  start: number,
  end: number,
  matches: (topic: Uint8Array) => boolean,
): { items: Uint8Array[]; topics: Uint8Array[] } | undefined {
  let k = start;
  let last: Uint8Array | undefined;
  for (; k < end; k++) {
    const t = topics[k]!;
    if (t !== last) {
      if (!matches(t)) break;
      last = t;
    }
  }
  if (k === end) return undefined;
  const kept = { items: items.slice(start, k), topics: topics.slice(start, k) };
  let lastMatched = false;
  for (; k < end; k++) {
    const t = topics[k]!;
    if (t !== last) {
      lastMatched = matches(t);
      last = t;
    }
    if (lastMatched) {
      kept.items.push(items[k]!);
      kept.topics.push(t);
    }
  }
  return kept;
}
