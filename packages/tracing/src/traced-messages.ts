import { type Context, context } from '@opentelemetry/api';
import type { CallRecord } from './call-record.js';

/** How a {@link TracedMessages} stream relates to its call. */
export interface TracedMessagesOptions {
  /** The call to count messages on (and, with `ends`, to end). `undefined`: only bind `context`. */
  record: CallRecord | undefined;
  /** Which count each message adds to. */
  direction: 'sent' | 'received';
  /** The stream's end is the call's end: finish the record on done, error or `return()`. */
  ends: boolean;
  /** Run each step of the source inside this context (e.g. a handler's async generator). */
  context: Context | undefined;
  /** The error to end the call with when the consumer stops early (`return()`). */
  stopped?: () => unknown;
}

/**
 * An AsyncIterable over a call's messages that counts them, ends the call's
 * record when the stream ends — iteration done, an error, or the consumer
 * stopping early — and optionally runs each pull of the source inside a
 * context. A plain iterator object rather than an async generator: `return()`
 * must reach the source at once (a generator would queue it behind a pending
 * `next()`), and it saves a promise per message.
 */
export class TracedMessages<T> implements AsyncIterable<T>, AsyncIterator<T> {
  readonly #source: AsyncIterable<T>;
  readonly #options: TracedMessagesOptions;
  #it: AsyncIterator<T> | undefined;

  constructor(source: AsyncIterable<T>, options: TracedMessagesOptions) {
    this.#source = source;
    this.#options = options;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  #iterator(): AsyncIterator<T> {
    if (!this.#it) {
      const ctx = this.#options.context;
      // A generator's body starts on the first `next()`, but creating it here in the context too is harmless.
      this.#it = ctx
        ? context.with(ctx, () => this.#source[Symbol.asyncIterator]())
        : this.#source[Symbol.asyncIterator]();
    }
    return this.#it;
  }

  next(): Promise<IteratorResult<T>> {
    const options = this.#options;
    let step: Promise<IteratorResult<T>>;
    try {
      const it = this.#iterator();
      step = options.context ? context.with(options.context, it.next, it) : it.next();
    } catch (e) {
      this.#fail(e);
      return Promise.reject(e);
    }
    return step.then(this.#onStep, this.#onError);
  }

  readonly #onStep = (result: IteratorResult<T>): IteratorResult<T> => {
    const record = this.#options.record;
    if (record) {
      if (result.done) {
        if (this.#options.ends) record.end();
      } else if (this.#options.direction === 'sent') record.sentOne();
      else record.receivedOne();
    }
    return result;
  };

  readonly #onError = (error: unknown): never => {
    this.#fail(error);
    throw error;
  };

  #fail(error: unknown): void {
    if (this.#options.ends) this.#options.record?.end(error);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    const options = this.#options;
    if (options.ends && options.record && !options.record.ended) {
      options.record.end(options.stopped?.());
    }
    // Even when never pulled: the source may hold the call open (an inbox cancels it on return).
    let it: AsyncIterator<T>;
    try {
      it = this.#iterator();
    } catch (e) {
      return Promise.reject(e);
    }
    if (!it.return) return Promise.resolve({ value: value as T, done: true });
    return it.return(value);
  }
}
