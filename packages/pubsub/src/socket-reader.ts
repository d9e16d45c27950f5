/**
 * The one reader of a subscriber's socket. Written as promise callbacks
 * rather than an async loop: one ZeroMQ message costs one microtask hop, and
 * the rest of its burst is read synchronously (`drainBuffered`), with no
 * promise per message. It pauses while a handler's promise is pending or a
 * `'wait'` subscription is full.
 */

import type { Delivery, SubscriberTransport } from '@xsmb/transport';
import type { MessageDispatcher } from './message-dispatcher.js';

/** Reads a transport into a dispatcher until the transport ends. */
export class SocketReader {
  private readonly iterator: AsyncIterator<Delivery>;
  private readonly dispatcher: MessageDispatcher;
  /** The transport's synchronous burst reader, when it has one. */
  private readonly drain: SubscriberTransport['drainBuffered'];
  private drainPending: Promise<void> | undefined;
  private readonly onUnexpected: () => void;
  private readonly onEnd: () => void;

  /**
   * Starts reading at once.
   * @param onUnexpected a handler threw (not expected: decoding, validation
   *   and listeners are guarded inside); that one message is lost, counted.
   * @param onEnd the transport ended (closed) or failed underneath.
   */
  constructor(
    transport: SubscriberTransport,
    dispatcher: MessageDispatcher,
    onUnexpected: () => void,
    onEnd: () => void,
  ) {
    this.dispatcher = dispatcher;
    this.onUnexpected = onUnexpected;
    this.onEnd = onEnd;
    this.drain = transport.drainBuffered?.bind(transport);
    this.iterator = transport[Symbol.asyncIterator]();
    this.resume();
  }

  private readonly resume = (): void => {
    const blocked = this.dispatcher.blocked.pop();
    if (blocked !== undefined) {
      // A 'wait' subscription is full: read nothing until it has room.
      blocked.space().then(this.resume, this.resume);
      return;
    }
    let next: Promise<IteratorResult<Delivery>>;
    try {
      next = this.iterator.next();
    } catch {
      this.onEnd();
      return;
    }
    next.then(this.onNext, this.onEnd);
  };

  private readonly onNext = (next: IteratorResult<Delivery>): void => {
    if (next.done === true) {
      this.onEnd();
      return;
    }
    let pending: Promise<void> | undefined;
    try {
      const message = next.value.message;
      pending = this.dispatcher.handle(next.value.topic, message, 0, message.length);
    } catch {
      // Losing one message beats losing the subscriber.
      this.onUnexpected();
    }
    // The rest of the burst, synchronously: no promise per message.
    if (pending === undefined && this.dispatcher.blocked.length === 0 && this.drain !== undefined) {
      this.drain(this.drainSink);
      pending = this.drainPending;
      this.drainPending = undefined;
    }
    if (pending !== undefined) pending.then(this.resume, this.resume);
    else this.resume();
  };

  /** Handles one entry of a burst; false stops the drain (a wait, or a full subscription). */
  private readonly drainSink = (
    topic: Uint8Array,
    burst: Uint8Array,
    start: number,
    end: number,
  ): boolean => {
    let pending: Promise<void> | undefined;
    try {
      pending = this.dispatcher.handle(topic, burst, start, end);
    } catch {
      this.onUnexpected();
    }
    if (pending !== undefined) {
      this.drainPending = pending;
      return false;
    }
    return this.dispatcher.blocked.length === 0;
  };
}
