/**
 * The receiving side of a stream direction: a queue of received messages
 * that the consumer iterates. It is bounded by credit — its
 * {@link CreditReceiver} admits no more than it granted, and grants again as
 * the consumer reads — so a slow consumer slows the producer and nothing is
 * ever dropped.
 */

import type { CreditReceiver } from './credit-receiver.js';
import { Fifo } from './fifo.js';
import type { RpcError } from './rpc-kit.js';

/** Options of an {@link Inbox}. */
export interface InboxOptions {
  /** Counts what arrives against the credit granted, and grants again as the consumer reads. */
  credit: CreditReceiver;
  /** The consumer stopped early (`return()`, e.g. `break` out of `for await`). */
  onReturn(): void;
}

/** A received message: a promise while its asynchronous validation runs. */
type Item<T> = T | Promise<T>;

interface Entry<T> {
  item: Item<T>;
  size: number;
}

interface Reader<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
}

/** A credit-bounded buffer of received stream messages, iterated by the consumer. */
export class Inbox<T> implements AsyncIterable<T>, AsyncIterator<T> {
  readonly #entries = new Fifo<Entry<T>>();
  readonly #credit: CreditReceiver;
  readonly #onReturn: () => void;
  #ended = false;
  #error: unknown;
  #failed = false;
  /** The next read waits a turn of the event loop (see {@link Inbox.next}). */
  #yieldNext = false;
  #reader: Reader<T> | undefined;
  /** Messages received so far. */
  received = 0;

  constructor(options: InboxOptions) {
    this.#credit = options.credit;
    this.#onReturn = options.onReturn;
  }

  /** Messages buffered, not yet consumed. */
  get pending(): number {
    return this.#entries.length;
  }

  /** True once ended, failed or returned. */
  get closed(): boolean {
    return this.#ended || this.#failed;
  }

  /**
   * Adds a received message of `size` encoded bytes. Returns the error the
   * call must fail with when the sender overran its credit (a protocol
   * violation), else `undefined`. Ignored once closed.
   */
  push(item: Item<T>, size: number): RpcError | undefined {
    if (this.closed) return undefined;
    const overrun = this.#credit.receive(size);
    if (overrun) return overrun;
    this.received++;
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      if (this.#credit.consumed(size)) this.#yieldNext = true;
      if (item instanceof Promise)
        item.then((value) => reader.resolve({ value, done: false }), reader.reject);
      else reader.resolve({ value: item, done: false });
      return undefined;
    }
    this.#entries.push({ item, size });
    return undefined;
  }

  /** No more messages: iteration ends after the buffered ones. */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    this.#credit.close();
    if (this.pending === 0 && this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader.resolve({ value: undefined, done: true });
    }
  }

  /** The stream failed: iteration throws `error` next (buffered messages are dropped with it). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.#failed = true;
    this.#error = error;
    this.#credit.close();
    this.#entries.clear();
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.pending > 0) {
      const { item, size } = this.#entries.shift() as Entry<T>;
      // The grant only leaves when the event loop turns; a consumer reading a
      // full buffer would otherwise drain it all first while the producer
      // sits idle waiting for this credit.
      if (this.#credit.consumed(size)) this.#yieldNext = true;
      if (item instanceof Promise) return item.then((value) => ({ value, done: false }));
      if (this.#yieldNext) {
        this.#yieldNext = false;
        return new Promise((resolve) => setImmediate(() => resolve({ value: item, done: false })));
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  /** The consumer stopped early: drops what is buffered and tells the owner (`onReturn`). */
  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.#ended = true;
      this.#credit.close();
      this.#entries.clear();
      this.#onReturn();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}
