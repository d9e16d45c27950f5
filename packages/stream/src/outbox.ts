/**
 * What a client sends on a client or bidi stream. `send()` hands messages
 * over in order: when a sink is attached and credit is available a message is
 * encoded and queued on the transport at once (resolved promise); otherwise
 * it waits in a short FIFO (bounded by `maxPending`) until credit returns —
 * backpressure, like a Node Writable. A send beyond `maxPending` fails the
 * whole stream (`onOverflow`), never just itself: a stream that silently lost
 * messages in the middle must not end in success. It is also an
 * AsyncIterable, so an interceptor may wrap it; then the call pumps it
 * instead.
 */

import type { CreditSender } from './credit-sender.js';
import { Fifo } from './fifo.js';
import { Code, RpcError } from './rpc-kit.js';

const resolved: Promise<void> = Promise.resolve();

function noop(): void {}

/** Sends between two yields to the event loop (see {@link Outbox.send}). */
const YIELD_EVERY = 128;

/**
 * Hands one message to the transport. Returns a promise when the
 * connection's send queue was full, so the message waits in the transport:
 * the sender must wait for it before sending more (undefined: sent).
 */
export type Sink<T> = (value: T) => Promise<void> | undefined;

interface Pending<T> {
  value: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The client's outgoing stream messages, sent under credit as `send()` hands them over. */
export class Outbox<T> implements AsyncIterable<T> {
  #sent = 0;
  readonly #queue = new Fifo<Pending<T>>();
  #sink: Sink<T> | undefined;
  #credit: CreditSender | undefined;
  /** A send the connection's full queue holds: later messages wait here until it is admitted. */
  #blocked = false;
  /** A wait for credit is under way (one at a time). */
  #waiting = false;
  #closed = false;
  #failed = false;
  #error: unknown;
  #onDrained: (() => void) | undefined;
  #reader: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;

  /**
   * @param maxPending sends that may wait for credit at once.
   * @param onOverflow fails the call when a send finds `maxPending` waiting.
   */
  constructor(
    readonly maxPending: number,
    readonly onOverflow: (error: RpcError) => void = noop,
  ) {}

  /** Queues one message; resolves when it was handed to the transport. */
  send(value: T): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#closed)
      return Promise.reject(
        new RpcError(Code.FAILED_PRECONDITION, 'the stream is closed for sending'),
      );
    if (this.#sink && this.#queue.length === 0 && !this.#blocked && this.#credit?.ready) {
      let held: Promise<void> | undefined;
      try {
        held = this.#sink(value);
      } catch (e) {
        return Promise.reject(e);
      }
      if (held) return this.#block(held);
      // A sender that awaits only resolved promises never lets the transport
      // flush: every so often, resolve on the next turn of the event loop.
      if (++this.#sent % YIELD_EVERY === 0) return new Promise((r) => setImmediate(r));
      return resolved;
    }
    if (this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader.resolve({ value, done: false });
      return resolved;
    }
    if (this.#queue.length >= this.maxPending) {
      const error = new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `more than ${this.maxPending} sends waiting for credit: the stream failed (await send() before sending more)`,
      );
      this.fail(error);
      this.onOverflow(error);
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ value, resolve, reject });
      this.#drain();
    });
  }

  /** No more messages: once everything queued was sent, the attached `onDrained` half-closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader.resolve({ value: undefined, done: true });
    }
    this.#drain();
  }

  /** Fails queued and later sends (the first error wins). */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    for (const item of this.#queue.drain()) item.reject(error);
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.reject(error);
  }

  /**
   * Sends directly through `sink` while `credit` lasts (no async
   * iteration); `onDrained` runs once after `close()` when all was sent.
   */
  attach(sink: Sink<T>, credit: CreditSender, onDrained: () => void): void {
    this.#sink = sink;
    this.#credit = credit;
    this.#onDrained = onDrained;
    this.#drain();
  }

  /** Moves queued messages to the sink while credit lasts, then waits for more when some remain. */
  #drain(): void {
    const sink = this.#sink;
    const credit = this.#credit;
    if (!sink || !credit) return;
    while (this.#queue.length > 0 && !this.#blocked && !this.#failed && credit.ready) {
      const item = this.#queue.shift() as Pending<T>;
      try {
        const held = sink(item.value);
        if (held) this.#block(held).then(item.resolve, item.reject);
        else item.resolve();
      } catch (e) {
        item.reject(e);
      }
    }
    if (this.#failed || this.#blocked) return;
    if (this.#queue.length > 0) {
      if (!this.#waiting) {
        this.#waiting = true;
        credit.wait().then(
          () => {
            this.#waiting = false;
            this.#drain();
          },
          (e: unknown) => this.fail(e),
        );
      }
      return;
    }
    if (this.#closed && this.#onDrained) {
      const done = this.#onDrained;
      this.#onDrained = undefined;
      done();
    }
  }

  /** Holds later sends back until `held` (a send the full connection queue keeps waiting) is admitted. */
  #block(held: Promise<void>): Promise<void> {
    this.#blocked = true;
    return held.then(() => {
      this.#blocked = false;
      this.#drain();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#queue.shift();
        if (item) {
          item.resolve();
          return Promise.resolve({ value: item.value, done: false });
        }
        if (this.#failed) return Promise.reject(this.#error);
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#reader = { resolve, reject };
        });
      },
    };
  }
}
