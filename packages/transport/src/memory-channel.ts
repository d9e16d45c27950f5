/**
 * The bounded queue between two in-memory endpoints (see memory.ts): `push`
 * resolves at once while there is room and waits (backpressure) when full;
 * one consumer iterates.
 */

import { TransportError } from './errors.js';
import { RESOLVED } from './transport-core.js';

/** A bounded single-consumer queue of `capacity` items. */
export class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #head = 0;
  #reader: ((r: IteratorResult<T>) => void) | undefined;
  readonly #writers: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #ended = false;

  /** @param capacity items buffered before `push` waits. */
  constructor(readonly capacity: number) {}

  /** Items buffered. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Hands `item` to the reader or buffers it; waits while the buffer is full. */
  push(item: T): Promise<void> {
    if (this.#ended) return Promise.reject(new TransportError('CLOSED', 'transport is closed'));
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader({ value: item, done: false });
      return RESOLVED;
    }
    this.#items.push(item);
    if (this.size < this.capacity) return RESOLVED;
    return new Promise((resolve, reject) => this.#writers.push({ resolve, reject }));
  }

  /** Ends iteration after the buffered items; pending writers fail with CLOSED. */
  end(discard = false): void {
    if (this.#ended) return;
    this.#ended = true;
    if (discard) {
      this.#items.length = 0;
      this.#head = 0;
    }
    for (const w of this.#writers.splice(0))
      w.reject(new TransportError('CLOSED', 'transport is closed'));
    if (this.size === 0 && this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader({ value: undefined, done: true });
    }
  }

  /** Drops everything buffered (a broken connection loses what was in flight). */
  clear(): number {
    const n = this.size;
    this.#items.length = 0;
    this.#head = 0;
    for (const w of this.#writers.splice(0)) w.resolve();
    return n;
  }

  #take(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      // Never quite drained: drop the consumed slots instead of growing forever.
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#writers.length > 0 && this.size < this.capacity) this.#writers.shift()?.resolve();
    return item;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (this.size > 0) return Promise.resolve({ value: this.#take(), done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#reader = resolve;
        });
      },
      return: (): Promise<IteratorResult<T>> => {
        this.end(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
