/**
 * Credit-based flow control, shared by both ends of every stream direction.
 *
 * The receiver grants credit in messages and bytes (CREDIT envelopes); the
 * sender may send a DATA envelope while it holds at least one message of
 * credit and more than zero bytes (so a message larger than the byte window
 * can still pass, alone). The receiver buffers at most what it granted, and
 * grants again as its consumer reads — nothing is ever dropped, and a slow
 * consumer slows the producer.
 */

import { Code, RpcError } from '@xsmb/rpc';

const resolved: Promise<void> = Promise.resolve();

function noop(): void {}

/** Sends between two yields to the event loop (see Outbox.send). */
const YIELD_EVERY = 128;

/** Sender side: the credit granted by the peer. */
export class CreditGate {
  #messages = 0;
  #bytes = 0;
  #waiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #error: unknown;

  /** True when one more DATA may be sent now. */
  get ready(): boolean {
    return this.#messages > 0 && this.#bytes > 0;
  }

  /** Adds credit from a CREDIT envelope; wakes a waiting sender. */
  grant(messages: number, bytes: number): void {
    this.#messages += messages;
    this.#bytes += bytes;
    if (this.#waiter && this.ready) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve();
    }
  }

  /** Spends credit for one DATA envelope of `bytes` bytes. */
  consume(bytes: number): void {
    this.#messages -= 1;
    this.#bytes -= bytes;
  }

  /** Resolves when credit is available; rejects once the stream failed. One waiter at a time. */
  wait(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.ready) return resolved;
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Fails the current and every later wait. */
  fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(error);
  }
}

/** Options of an {@link Inbox}. */
export interface InboxOptions {
  /** Messages granted at once (the window). */
  windowMessages: number;
  /** Bytes granted at once. */
  windowBytes: number;
  /** Sends a CREDIT envelope to the peer. */
  grant(messages: number, bytes: number): void;
  /** The consumer stopped early (`break` out of `for await`): cancel the call. */
  onReturn(): void;
}

type Item<T> = T | Promise<T>;

/**
 * Receiver side: a bounded buffer of received stream messages, iterated by
 * the consumer; grants credit back as items are consumed (at half a window,
 * so CREDIT envelopes stay few and ride in bursts with other traffic).
 */
export class Inbox<T> implements AsyncIterable<T>, AsyncIterator<T> {
  readonly #items: Array<Item<T>> = [];
  readonly #sizes: number[] = [];
  #head = 0;
  #credit: number;
  #creditBytes: number;
  #consumed = 0;
  #consumedBytes = 0;
  #ended = false;
  #yieldNext = false;
  #error: unknown;
  #reader: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  readonly #options: InboxOptions;
  /** Messages received so far. */
  received = 0;

  constructor(options: InboxOptions) {
    this.#options = options;
    this.#credit = options.windowMessages;
    this.#creditBytes = options.windowBytes;
  }

  /** Messages buffered, not yet consumed. */
  get pending(): number {
    return this.#items.length - this.#head;
  }

  /** True once ended or failed. */
  get closed(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /**
   * Adds a received message of `size` encoded bytes. Returns `false` when the
   * sender overran its credit (a protocol violation the caller must fail).
   */
  push(item: Item<T>, size: number): boolean {
    if (this.closed) return true;
    if (this.#credit < 1 || this.#creditBytes <= 0) return false;
    this.#credit -= 1;
    this.#creditBytes -= size;
    this.received++;
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      this.#account(size);
      if (item instanceof Promise)
        item.then((value) => reader.resolve({ value, done: false }), reader.reject);
      else reader.resolve({ value: item, done: false });
      return true;
    }
    this.#items.push(item);
    this.#sizes.push(size);
    return true;
  }

  /** No more messages: iteration ends after the buffered ones. */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    if (this.pending === 0 && this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader.resolve({ value: undefined, done: true });
    }
  }

  /** The stream failed: iteration throws `error` (after nothing more: buffered items are dropped with it). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.#error = error;
    this.#items.length = 0;
    this.#sizes.length = 0;
    this.#head = 0;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.reject(error);
  }

  #account(size: number): void {
    this.#consumed++;
    this.#consumedBytes += size;
    const o = this.#options;
    if (this.#consumed * 2 >= o.windowMessages || this.#consumedBytes * 2 >= o.windowBytes) {
      if (this.#ended || this.#error !== undefined) return;
      const m = this.#consumed;
      const b = this.#consumedBytes;
      this.#consumed = 0;
      this.#consumedBytes = 0;
      this.#credit += m;
      this.#creditBytes += b;
      o.grant(m, b);
      // The grant only leaves when the event loop turns; a consumer reading a
      // full buffer would otherwise drain it all first while the producer sits
      // idle waiting for this credit.
      this.#yieldNext = true;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.pending > 0) {
      const item = this.#items[this.#head] as Item<T>;
      const size = this.#sizes[this.#head] as number;
      this.#items[this.#head] = undefined as T;
      this.#head++;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#sizes.length = 0;
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
        // A consumer that never quite catches up would otherwise grow the
        // arrays by one slot per message for the whole stream.
        this.#items.splice(0, this.#head);
        this.#sizes.splice(0, this.#head);
        this.#head = 0;
      }
      this.#account(size);
      if (item instanceof Promise) return item.then((value) => ({ value, done: false }));
      if (this.#yieldNext) {
        this.#yieldNext = false;
        return new Promise((resolve) => setImmediate(() => resolve({ value: item, done: false })));
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.#ended = true;
      this.#items.length = 0;
      this.#sizes.length = 0;
      this.#head = 0;
      this.#options.onReturn();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}

/**
 * Hands one message to the transport. Returns a promise when the
 * connection's send queue was full, so the message waits in the transport:
 * the sender must wait for it before sending more (undefined: sent).
 */
export type Sink<T> = (value: T) => Promise<void> | undefined;

/**
 * What a client sends on a client or bidi stream: `send()` hands messages
 * over in order. When a sink is attached and credit is available, a message
 * is encoded and queued on the transport at once (resolved promise);
 * otherwise it waits in a short FIFO (bounded by `maxPending`) until credit
 * returns — backpressure, like a Node Writable. A send beyond `maxPending`
 * fails the whole stream (`onOverflow`), never just itself: a stream that
 * silently lost messages in the middle must not end in success. It is also
 * an AsyncIterable, so an interceptor may wrap it; then the call pumps it
 * instead.
 */
export class Outbox<T> implements AsyncIterable<T> {
  #sent = 0;
  readonly #queue: Array<{ value: T; resolve: () => void; reject: (e: unknown) => void }> = [];
  #sink: Sink<T> | undefined;
  /** A send the connection's full queue holds: later messages wait here until it is admitted. */
  #blocked = false;
  #gate: CreditGate | undefined;
  #closed = false;
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
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed)
      return Promise.reject(
        new RpcError(Code.FAILED_PRECONDITION, 'the stream is closed for sending'),
      );
    if (this.#sink && this.#queue.length === 0 && !this.#blocked && this.#gate?.ready) {
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
    this.drain();
  }

  /** Fails queued and later sends. */
  fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    for (const item of this.#queue.splice(0)) item.reject(error);
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.reject(error);
  }

  /**
   * Sends directly through `sink` while `gate` has credit (no async
   * iteration); `onDrained` runs once after `close()` when all was sent.
   */
  attach(sink: Sink<T>, gate: CreditGate, onDrained: () => void): void {
    this.#sink = sink;
    this.#gate = gate;
    this.#onDrained = onDrained;
    this.drain();
  }

  /** Moves queued messages to the sink while credit lasts; call again when credit arrives. */
  drain(): void {
    const sink = this.#sink;
    const gate = this.#gate;
    if (sink && gate) {
      while (this.#queue.length > 0 && !this.#blocked && gate.ready && this.#error === undefined) {
        const item = this.#queue.shift() as {
          value: T;
          resolve: () => void;
          reject: (e: unknown) => void;
        };
        try {
          const held = sink(item.value);
          if (held) this.#block(held).then(item.resolve, item.reject);
          else item.resolve();
        } catch (e) {
          item.reject(e);
        }
      }
    }
    if (
      this.#closed &&
      this.#sink &&
      this.#queue.length === 0 &&
      !this.#blocked &&
      this.#onDrained &&
      this.#error === undefined
    ) {
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
      this.drain();
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
        if (this.#error !== undefined) return Promise.reject(this.#error);
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#reader = { resolve, reject };
        });
      },
    };
  }
}
