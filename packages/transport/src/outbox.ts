/**
 * The bounded application-level send queue of one destination (the DEALER's
 * server, one ROUTER peer, or a publisher).
 *
 * Messages stay in the queue until libzmq accepted the ZeroMQ message that
 * carries them, so `size` counts everything not yet handed over and bounds
 * memory at `depth` messages. Callers beyond the bound wait in `waiters`, in
 * arrival order, and are admitted as the writer frees room.
 */

import type { TransportError } from './errors.js';

interface Waiter {
  readonly message: Uint8Array;
  readonly topic: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (error: TransportError) => void;
}

/** Compaction threshold: shifting an array is O(n), so consumed slots are dropped in batches. */
const COMPACT_AT = 1024;

/** A FIFO of logical messages plus the callers waiting for room. */
export class Outbox {
  /** Queued messages; `items[head]` is the oldest. */
  items: Uint8Array[] = [];
  /** Topic per queued message (publishers only), parallel to `items`. */
  topics: Uint8Array[] = [];
  /** Index of the oldest queued message. */
  head = 0;
  /** Bytes of the queued messages (`items[head..]`), for byte bounds. */
  bytes = 0;
  /**
   * Bumped by `clear()`. A writer that awaited a send compares it before
   * `shift()`, so messages cleared meanwhile (close, peer gone) are not
   * shifted twice.
   */
  epoch = 0;
  private waiters: Waiter[] = [];
  private waitHead = 0;

  /** Messages queued and not yet accepted by libzmq. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** True while some caller waits for room. */
  get hasWaiters(): boolean {
    return this.waitHead < this.waiters.length;
  }

  /** True when a `send` now would wait: `depth` messages or `maxBytes` bytes queued, or callers waiting. */
  isFull(depth: number, maxBytes: number): boolean {
    return this.size >= depth || this.bytes >= maxBytes || this.hasWaiters;
  }

  /** Appends one message. */
  push(message: Uint8Array): void {
    this.items.push(message);
    this.bytes += message.byteLength;
  }

  /** Appends one message with its topic. */
  pushTopic(topic: Uint8Array, message: Uint8Array): void {
    this.items.push(message);
    this.topics.push(topic);
    this.bytes += message.byteLength;
  }

  /** Drops the `n` oldest messages (they were accepted by libzmq). */
  shift(n: number): void {
    const items = this.items;
    for (let i = this.head, end = this.head + n; i < end; i++) this.bytes -= items[i]!.byteLength;
    this.head += n;
    if (this.head === items.length) {
      // Common case under light load: reuse the arrays instead of slicing.
      items.length = 0;
      this.topics.length = 0;
      this.head = 0;
      this.bytes = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      if (this.topics.length > 0) this.topics = this.topics.slice(this.head);
      this.head = 0;
    }
  }

  /** Queues a caller that found the queue full; settles when admitted or failed. */
  wait(message: Uint8Array, topic?: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ message, topic, resolve, reject });
    });
  }

  /**
   * Moves waiting callers into the queue while it holds fewer than `depth`
   * messages and `maxBytes` bytes, resolving their promises. Returns how
   * many were admitted.
   */
  admit(depth: number, maxBytes = Number.POSITIVE_INFINITY): number {
    let admitted = 0;
    while (this.waitHead < this.waiters.length && this.size < depth && this.bytes < maxBytes) {
      const w = this.waiters[this.waitHead]!;
      this.waiters[this.waitHead] = undefined as unknown as Waiter;
      this.waitHead++;
      if (w.topic === undefined) this.push(w.message);
      else this.pushTopic(w.topic, w.message);
      admitted++;
      w.resolve();
    }
    if (this.waitHead === this.waiters.length) {
      this.waiters = [];
      this.waitHead = 0;
    }
    return admitted;
  }

  /** Rejects every waiting caller with `error`; returns how many there were. */
  rejectWaiters(error: TransportError): number {
    const waiting = this.waiters.slice(this.waitHead);
    this.waiters = [];
    this.waitHead = 0;
    for (const w of waiting) w.reject(error);
    return waiting.length;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.size;
    this.epoch++;
    this.items = [];
    this.topics = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}
