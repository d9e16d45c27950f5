/**
 * One subscription of a subscriber: a topic (and key prefix), a bounded
 * buffer, and the async iterator a consumer reads it with.
 */

import type { StandardSchemaV1 } from '@xsmb/codec';
import type { Metadata } from './metadata.js';
import { PubSubError } from './pubsub-error.js';
import { RingBuffer } from './ring-buffer.js';

/** One received message, as a subscription yields it. */
export interface TopicMessage<T> {
  /** The value (validated by the topic's schema, when it has one). */
  readonly value: T;
  /** The topic name. */
  readonly topic: string;
  /** The key it was published with; `undefined` when none. */
  readonly key: string | undefined;
  /** Its metadata (e.g. `traceparent`); an empty object when none. */
  readonly metadata: Readonly<Metadata>;
  /** Its sequence number within (publisher, topic, key), from 1. */
  readonly seq: number;
  /** The id of the publisher instance that sent it (16 hex digits; new on every restart). */
  readonly publisher: string;
}

/**
 * What a subscription does when its buffer is full.
 * - `'wait'`: the subscriber stops reading its socket until the consumer has
 *   taken half of the buffer. libzmq's queues then fill up, and the
 *   publisher's `slowSubscriber` policy applies: with `'drop'` the publisher
 *   drops (subscribers count those as gaps, exactly), with `'block'` it waits,
 *   so nothing is lost end to end. It holds back every subscription of the
 *   same subscriber (they share one socket).
 * - `'drop-oldest'`: the oldest buffered message is discarded (counted in `dropped`).
 * - `'drop-newest'`: the arriving message is discarded (counted in `dropped`).
 */
export type OverflowPolicy = 'wait' | 'drop-oldest' | 'drop-newest';

/** Counters of one subscription (all monotonic except `pending`). */
export interface SubscriptionStats {
  /** Valid messages that reached this subscription, including those later dropped. */
  received: number;
  /** Messages the consumer has taken from the iterator. */
  delivered: number;
  /** Messages buffered, waiting for the consumer. */
  pending: number;
  /** Messages discarded: by a `drop-*` overflow policy, or still buffered at `stop()`. */
  dropped: number;
  /** Messages of matching streams that never arrived (sequence-number gaps). */
  gaps: number;
  /** Messages refused: undecodable, wrong version, bad envelope or metadata, failed validation. */
  invalid: number;
  /** Calls of an `onMessage` callback that threw or rejected (the message counts as delivered). */
  errors: number;
}

/**
 * A callback that takes the messages of a subscription instead of an
 * iterator. Returning a promise holds the subscriber back until it settles
 * (messages stay in order; the publisher's `slowSubscriber` policy applies
 * meanwhile, as with a full `'wait'` buffer).
 */
export type MessageHandler<T> = (message: TopicMessage<T>) => void | PromiseLike<void>;

/** Told about an `onMessage` callback that threw or rejected. */
export type MessageErrorHandler<T> = (error: unknown, message: TopicMessage<T>) => void;

/** A subscription: iterate it with `for await`; leaving the loop stops it. */
export interface Subscription<T> extends AsyncIterable<TopicMessage<T>> {
  /** The topic name. */
  readonly topic: string;
  /** The key prefix it filters on; `undefined` for every key. */
  readonly key: string | undefined;
  /** True once stopped (by `stop()`, by leaving a `for await` loop, its signal, or the subscriber closing). */
  readonly stopped: boolean;
  /**
   * Unsubscribes and ends the iteration: a pending `next()` resolves as done,
   * buffered messages are discarded (counted in `dropped`). Idempotent.
   */
  stop(): void;
  /** A snapshot of the counters. */
  stats(): SubscriptionStats;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

type Waiter<T> = (result: IteratorResult<TopicMessage<T>>) => void;

/** The implementation; the subscriber drives it. */
export class SubscriptionImpl<T> implements Subscription<T>, AsyncIterator<TopicMessage<T>> {
  readonly topic: string;
  readonly key: string | undefined;
  /** The ZeroMQ subscription prefix (topic frame prefix). */
  readonly prefix: Buffer;
  /** `prefix` as a latin1 string, to match frames cheaply. */
  readonly prefixKey: string;
  /** The validator, if the topic has one. */
  readonly schema: StandardSchemaV1 | undefined;
  /** Counters (`pending` is filled in by `stats()`). */
  readonly counters: SubscriptionStats = {
    received: 0,
    delivered: 0,
    pending: 0,
    dropped: 0,
    gaps: 0,
    invalid: 0,
    errors: 0,
  };
  /** The callback that takes messages instead of the iterator, if any. */
  private readonly handler: MessageHandler<T> | undefined;
  private readonly onError: MessageErrorHandler<T> | undefined;
  private readonly buffer = new RingBuffer<TopicMessage<T>>();
  private readonly capacity: number;
  private readonly resumeAt: number;
  private readonly policy: OverflowPolicy;
  private readonly onStop: (sub: SubscriptionImpl<T>) => void;
  // The consumer waiting in `next()`; more than one only if next() is called
  // again before the previous call settled (allowed, rare).
  private waiter: Waiter<T> | undefined;
  private moreWaiters: Array<Waiter<T>> = [];
  private spaceWaiters: Array<() => void> = [];
  private stoppedFlag = false;

  constructor(init: {
    topic: string;
    key: string | undefined;
    prefix: Buffer;
    schema: StandardSchemaV1 | undefined;
    capacity: number;
    policy: OverflowPolicy;
    onStop: (sub: SubscriptionImpl<T>) => void;
    onMessage?: MessageHandler<T> | undefined;
    onError?: MessageErrorHandler<T> | undefined;
  }) {
    this.handler = init.onMessage;
    this.onError = init.onError;
    this.topic = init.topic;
    this.key = init.key;
    this.prefix = init.prefix;
    this.prefixKey = init.prefix.toString('latin1');
    this.schema = init.schema;
    this.capacity = init.capacity;
    // Resume the reader at half: one wake-up per half buffer, not per message.
    this.resumeAt = Math.floor(init.capacity / 2);
    this.policy = init.policy;
    this.onStop = init.onStop;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** True when the subscriber must stop reading until {@link space} resolves. */
  get full(): boolean {
    return this.policy === 'wait' && this.buffer.length >= this.capacity && !this.stoppedFlag;
  }

  /**
   * Takes one message from the subscriber. Returns true when the buffer is
   * now full under the `'wait'` policy (the subscriber should pause).
   */
  offer(message: TopicMessage<T>): boolean {
    if (this.stoppedFlag) return false;
    this.counters.received++;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = this.moreWaiters.length > 0 ? this.moreWaiters.shift() : undefined;
      this.counters.delivered++;
      waiter({ done: false, value: message });
      return false;
    }
    const buffer = this.buffer;
    if (buffer.length >= this.capacity) {
      if (this.policy === 'drop-newest') {
        this.counters.dropped++;
        return false;
      }
      if (this.policy === 'drop-oldest') {
        buffer.shift();
        this.counters.dropped++;
      }
    }
    buffer.push(message);
    return this.policy === 'wait' && buffer.length >= this.capacity;
  }

  /** True when messages go to an `onMessage` callback ({@link call}) instead of {@link offer}. */
  get callback(): boolean {
    return this.handler !== undefined;
  }

  /**
   * Hands one message to the `onMessage` callback. Returns a promise when the
   * callback returned one: the subscriber waits for it before the next message.
   */
  call(message: TopicMessage<T>): Promise<void> | undefined {
    if (this.stoppedFlag) return undefined;
    this.counters.received++;
    this.counters.delivered++;
    let result: void | PromiseLike<void>;
    try {
      result = this.handler!(message);
    } catch (error) {
      this.failed(error, message);
      return undefined;
    }
    if (result === undefined || typeof result.then !== 'function') return undefined;
    return Promise.resolve(result).then(undefined, (error: unknown) => this.failed(error, message));
  }

  private failed(error: unknown, message: TopicMessage<T>): void {
    this.counters.errors++;
    if (this.onError === undefined) return;
    try {
      this.onError(error, message);
    } catch {
      // Observe-only: a throwing error handler must not stop the subscriber.
    }
  }

  /** Resolves once the buffer drained to half its capacity, or the subscription stopped. */
  space(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  next(): Promise<IteratorResult<TopicMessage<T>>> {
    const buffer = this.buffer;
    if (buffer.length > 0) {
      const value = buffer.shift()!;
      this.counters.delivered++;
      if (this.spaceWaiters.length > 0 && buffer.length <= this.resumeAt) this.releaseSpace();
      return Promise.resolve({ done: false, value });
    }
    if (this.stoppedFlag) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      if (this.waiter === undefined) this.waiter = resolve;
      else this.moreWaiters.push(resolve);
    });
  }

  return(): Promise<IteratorResult<TopicMessage<T>>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterator<TopicMessage<T>> {
    if (this.handler !== undefined) {
      throw new PubSubError(
        'INVALID_ARGUMENT',
        'this subscription delivers to its onMessage callback; it cannot be iterated',
      );
    }
    return this;
  }

  stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.counters.dropped += this.buffer.clear();
    const waiters = this.waiter === undefined ? [] : [this.waiter, ...this.moreWaiters];
    this.waiter = undefined;
    this.moreWaiters = [];
    for (const w of waiters) w(DONE);
    this.releaseSpace();
    this.onStop(this);
  }

  stats(): SubscriptionStats {
    return { ...this.counters, pending: this.buffer.length };
  }

  private releaseSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }
}
