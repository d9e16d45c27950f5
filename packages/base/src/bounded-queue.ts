/**
 * A bounded queue between a producer that pushes synchronously (a socket
 * reader) and a consumer that pulls with `for await`. Modelled on nats.js's
 * `QueuedIterator`: push hands an item straight to a waiting consumer, the
 * overflow is a stated decision, and the counters show the backlog.
 */

import { RingBuffer } from './ring-buffer.js';

/**
 * What {@link BoundedQueue.push} does when `capacity` items are buffered.
 * - `'wait'`: the item is still taken, and `push` returns `false`: the
 *   producer should stop until {@link BoundedQueue.space} resolves (when the
 *   consumer has taken the buffer down to `resumeAt`). The bound holds as
 *   far as the producer honours it (backpressure; nothing is lost).
 * - `'drop-oldest'`: the oldest buffered item is discarded (counted in `dropped`).
 * - `'drop-newest'`: the pushed item is discarded (counted in `dropped`).
 */
export type OverflowPolicy = 'wait' | 'drop-oldest' | 'drop-newest';

/** Options of {@link BoundedQueue}. */
export interface BoundedQueueOptions {
  /** Most items buffered before `whenFull` applies; an integer >= 1. */
  capacity: number;
  /**
   * What happens when the buffer is full, see {@link OverflowPolicy}.
   * @default 'wait'
   */
  whenFull?: OverflowPolicy;
  /**
   * With `'wait'`: {@link BoundedQueue.space} resolves once at most this many
   * items are buffered (one wake-up of the producer per half buffer, not one
   * per item).
   * @default Math.floor(capacity / 2)
   */
  resumeAt?: number;
}

type Waiter<T> = {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
};

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Checks an overflow policy given by a user; throws `TypeError`. */
export function checkOverflowPolicy(value: unknown, name = 'whenFull'): OverflowPolicy {
  if (value !== 'wait' && value !== 'drop-oldest' && value !== 'drop-newest') {
    throw new TypeError(
      `${name} must be 'wait', 'drop-oldest' or 'drop-newest', got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The queue. One consumer is the normal case; several concurrent `next()`
 * calls are served in call order.
 *
 * @example
 * const q = new BoundedQueue<Msg>({ capacity: 1024, whenFull: 'drop-oldest' });
 * socket.on('message', (m) => q.push(m));
 * socket.on('close', () => q.end());
 * for await (const m of q) handle(m);
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T, undefined> {
  /** The capacity the queue was made with. */
  readonly capacity: number;
  /** The overflow policy the queue was made with. */
  readonly whenFull: OverflowPolicy;
  readonly #resumeAt: number;
  readonly #buffer = new RingBuffer<T>();
  readonly #waiters = new RingBuffer<Waiter<T>>();
  #spaceWaiters: Array<() => void> = [];
  #dropped = 0;
  #delivered = 0;
  #ended = false;
  #error: unknown;
  #hasError = false;

  /** @throws TypeError for a capacity, policy or `resumeAt` out of range. */
  constructor(options: BoundedQueueOptions) {
    const { capacity } = options;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.capacity = capacity;
    this.whenFull = checkOverflowPolicy(options.whenFull ?? 'wait');
    const resumeAt = options.resumeAt ?? Math.floor(capacity / 2);
    if (!Number.isInteger(resumeAt) || resumeAt < 0 || resumeAt >= capacity) {
      throw new TypeError(`resumeAt must be an integer in [0, capacity), got ${String(resumeAt)}`);
    }
    this.#resumeAt = resumeAt;
  }

  /** Items buffered, waiting for the consumer. */
  get length(): number {
    return this.#buffer.length;
  }

  /** Items discarded: by a `drop-*` policy, or still buffered at {@link stop}. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Items the consumer has taken. */
  get delivered(): number {
    return this.#delivered;
  }

  /** True once {@link end} or {@link stop} was called: pushes are ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True when, under `'wait'`, the producer should pause until {@link space} resolves. */
  get full(): boolean {
    return this.whenFull === 'wait' && !this.#ended && this.#buffer.length >= this.capacity;
  }

  /**
   * Adds one item, or hands it straight to a waiting consumer. Returns
   * `false` when the producer should pause (`'wait'` and now full; the item
   * was taken). After {@link end} or {@link stop} the item is ignored (not
   * counted) and `push` returns `true`: there is nothing to wait for.
   */
  push(item: T): boolean {
    if (this.#ended) return true;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#delivered++;
      waiter.resolve({ done: false, value: item });
      return true;
    }
    const buffer = this.#buffer;
    if (buffer.length >= this.capacity) {
      if (this.whenFull === 'drop-newest') {
        this.#dropped++;
        return true;
      }
      if (this.whenFull === 'drop-oldest') {
        buffer.shift();
        this.#dropped++;
      }
    }
    buffer.push(item);
    return !(this.whenFull === 'wait' && buffer.length >= this.capacity);
  }

  /** Resolves once the producer may push again: the buffer is down to `resumeAt`, or the queue ended. */
  space(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /**
   * No more items: the consumer still gets what is buffered, then the end
   * (or `error`, rejected from `next()` once). Idempotent; the first call wins.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#error = error;
      this.#hasError = true;
    }
    // Waiters exist only while the buffer is empty: they get the end now.
    while (this.#waiters.length > 0) this.#finish(this.#waiters.shift()!);
    this.#releaseSpace();
  }

  /**
   * Ends at once: buffered items are discarded (counted in `dropped`) and a
   * waiting `next()` resolves as done. Idempotent. Returns how many items
   * were discarded.
   */
  stop(): number {
    const discarded = this.#buffer.clear();
    this.#dropped += discarded;
    this.#hasError = false;
    this.end();
    // end() is a no-op after an earlier end(): wake the waiters ourselves.
    while (this.#waiters.length > 0) this.#waiters.shift()!.resolve(DONE);
    return discarded;
  }

  /**
   * Discards what is buffered (counted in `dropped`) without ending: a
   * producer waiting in {@link space} may go on. Returns how many items were
   * discarded.
   */
  clear(): number {
    const discarded = this.#buffer.clear();
    this.#dropped += discarded;
    this.#releaseSpace();
    return discarded;
  }

  /** The next item; done once the queue ended and is empty. */
  next(): Promise<IteratorResult<T, undefined>> {
    const buffer = this.#buffer;
    if (buffer.length > 0) {
      const value = buffer.shift()!;
      this.#delivered++;
      if (this.#spaceWaiters.length > 0 && buffer.length <= this.#resumeAt) this.#releaseSpace();
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.#ended) this.#finish(waiter);
      else this.#waiters.push(waiter);
    });
  }

  /** Leaving a `for await` loop: {@link stop}. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(waiter: Waiter<T>): void {
    if (this.#hasError) {
      this.#hasError = false;
      waiter.reject(this.#error);
    } else {
      waiter.resolve(DONE);
    }
  }

  #releaseSpace(): void {
    const waiters = this.#spaceWaiters;
    if (waiters.length === 0) return;
    this.#spaceWaiters = [];
    for (const w of waiters) w();
  }
}
