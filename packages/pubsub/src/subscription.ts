/**
 * One subscription of a subscriber: a topic (and key prefix), a bounded
 * buffer, and the async iterator a consumer reads it with.
 */

import { BoundedQueue, type Metadata, type OverflowPolicy as QueuePolicy } from '@xsmb/base';
import type { StandardSchemaV1 } from '@xsmb/codec';
import { PubSubError } from './pubsub-error.js';

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
export type OverflowPolicy = QueuePolicy;

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
  /** Counters the subscriber adds to (`delivered`, `pending`, `dropped` come from the queue). */
  readonly counters = { received: 0, gaps: 0, invalid: 0, errors: 0 };
  /** The callback that takes messages instead of the iterator, if any. */
  private readonly handler: MessageHandler<T> | undefined;
  private readonly onError: MessageErrorHandler<T> | undefined;
  /** Its buffer; a callback subscription counts its deliveries here instead. */
  private readonly queue: BoundedQueue<TopicMessage<T>> | undefined;
  private readonly onStop: (sub: SubscriptionImpl<T>) => void;
  private called = 0;
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
    // The queue resumes the reader at half: one wake-up per half buffer, not per message.
    this.queue =
      init.onMessage === undefined
        ? new BoundedQueue({ capacity: init.capacity, whenFull: init.policy })
        : undefined;
    this.onStop = init.onStop;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Messages discarded so far (the subscriber sums them). */
  get dropped(): number {
    return this.queue?.dropped ?? 0;
  }

  /**
   * Takes one message from the subscriber. Returns true when the buffer is
   * now full under the `'wait'` policy (the subscriber should pause).
   */
  offer(message: TopicMessage<T>): boolean {
    if (this.stoppedFlag) return false;
    this.counters.received++;
    return !this.queue!.push(message);
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
    this.called++;
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
    return this.queue === undefined ? Promise.resolve() : this.queue.space();
  }

  next(): Promise<IteratorResult<TopicMessage<T>>> {
    return this.queue === undefined ? Promise.resolve(DONE) : this.queue.next();
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
    this.queue?.stop();
    this.onStop(this);
  }

  stats(): SubscriptionStats {
    const queue = this.queue;
    const { received, gaps, invalid, errors } = this.counters;
    // Keys in the documented order: the stats are printed as JSON by users.
    return {
      received,
      delivered: queue === undefined ? this.called : queue.delivered,
      pending: queue?.length ?? 0,
      dropped: queue?.dropped ?? 0,
      gaps,
      invalid,
      errors,
    };
  }
}
