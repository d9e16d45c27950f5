/**
 * What both subscriber transports (libzmq and zmtp) share: checking a
 * received ZeroMQ message, dropping burst entries above this subscriber's
 * limit while keeping the rest, and handing out entries (one at a time to
 * the iterator, or all at once to `drainBuffered`).
 */

import {
  BurstCursor,
  checkBurst,
  checkFrames,
  TAG_BURST,
  TAG_LARGE,
  withoutOversize,
} from './framing.js';
import { DEFAULTS } from './options.js';
import { closedError } from './socket-options.js';
import { TransportCore } from './transport-core.js';
import type { Delivery } from './types.js';

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Base class of the subscriber transports. */
export abstract class SubscriberCore extends TransportCore {
  protected readonly burst = new BurstCursor();
  protected frameTopic: Buffer = Buffer.alloc(0);
  /**
   * The largest frame accepted from publishers: never below the default
   * limit, so that one message above this subscriber's own limit from a
   * publisher with the default one is dropped here (counted) rather than
   * cutting the connection (libzmq ends such a session for good).
   */
  protected readonly frameLimit: number;

  /** @param maxMessageBytes this subscriber's limit per logical message. */
  constructor(protected readonly maxMessageBytes: number) {
    super();
    this.frameLimit = Math.max(maxMessageBytes, DEFAULTS.maxMessageBytes);
  }

  /**
   * Checks one received ZeroMQ message (`[topic, burst]` or `[topic, tag,
   * large]`). Returns its burst or large-tag frame, with oversize burst
   * entries removed, or `null` when it was dropped (counted).
   */
  protected accept(frames: readonly Uint8Array[]): Buffer | null {
    this.counters.zmqIn++;
    const max = this.maxMessageBytes;
    const reason = checkFrames(frames, 1, max);
    const head = toBuffer(frames[1] ?? EMPTY);
    if (reason === undefined) return head;
    if (
      frames.length === 2 &&
      head.length > 0 &&
      head[0] === TAG_BURST &&
      checkBurst(head, this.frameLimit) === undefined
    ) {
      // Well formed, with messages above this subscriber's limit (from a
      // publisher with a larger one): drop those, deliver the others.
      const kept = withoutOversize(head, max);
      this.drop('burst entry above maxMessageBytes', kept.dropped);
      return kept.frame;
    }
    this.drop(reason, 1);
    return null;
  }

  /** The first delivery of an accepted message (`head` from {@link accept}). */
  protected first(topic: Uint8Array, head: Buffer, large: Uint8Array | undefined): Delivery {
    if (head[0] === TAG_LARGE) {
      this.counters.messagesIn++;
      return { topic, message: large! };
    }
    this.burst.load(head);
    this.frameTopic = toBuffer(topic);
    return this.takeEntry();
  }

  drainBuffered(
    sink: (topic: Uint8Array, burst: Uint8Array, start: number, end: number) => boolean,
  ): void {
    const topic = this.frameTopic;
    const cursor = this.burst;
    let frame = cursor.frame;
    while (frame !== null && !this.closedFlag) {
      this.counters.messagesIn++;
      const start = cursor.skip();
      if (!sink(topic, frame, start, cursor.end)) return;
      frame = cursor.frame;
    }
  }

  /** Connects the engine's socket to `endpoint`. */
  protected abstract connectSocket(endpoint: string): void;

  /** Disconnects the engine's socket from `endpoint` (ignored when not connected). */
  protected abstract disconnectSocket(endpoint: string): void;

  /** The engine's socket, for (un)subscribing. */
  protected abstract readonly socket: {
    subscribe(prefix: Buffer): void;
    unsubscribe(prefix: Buffer): void;
  };

  protected queueDepth(): number {
    return 0;
  }

  /** Connects to one more publisher or broker endpoint. */
  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    this.connectSocket(endpoint);
  }

  /** Undoes `connect(endpoint)`: closes that connection, stops reconnecting to it. */
  disconnect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    this.disconnectSocket(endpoint);
  }

  /** Subscribes to a topic prefix (bytes). */
  subscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    this.socket.subscribe(toBuffer(prefix));
  }

  /** Removes one subscription made with `subscribe`. */
  unsubscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    this.socket.unsubscribe(toBuffer(prefix));
  }

  protected readonly takeEntry = (): Delivery => {
    this.counters.messagesIn++;
    return { topic: this.frameTopic, message: this.burst.take() };
  };
}

const EMPTY = new Uint8Array(0);
