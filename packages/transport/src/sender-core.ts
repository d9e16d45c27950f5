/**
 * What every sending transport (client, server, publisher; either engine)
 * shares: admission of a message into a bounded {@link Outbox} (closed,
 * too large, full: wait or `QUEUE_FULL`), the counting of what the writer
 * sent, and a close that flushes for at most `closeTimeoutMs` before it
 * drops (counted) what is left.
 */

import type { ResolvedOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { closedError, queueFullError, tooLargeError, waitAtMost } from './socket-options.js';
import { RESOLVED, TransportCore } from './transport-core.js';
import type { PeerId } from './types.js';

/** Base class of the transports that send. */
export abstract class SenderCore extends TransportCore {
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;

  /**
   * @param opts the resolved options.
   * @param queueBytes the byte bound of one send queue (publishers bound by count only).
   */
  constructor(
    protected readonly opts: ResolvedOptions,
    private readonly queueBytes: number = opts.sendQueueBytes,
  ) {
    super();
  }

  /** True while messages are queued or senders wait: close flushes them first. */
  protected abstract pending(): boolean;

  /** Releases the socket, once; after the flush. */
  protected abstract shutdown(): Promise<void>;

  /** Hands what is queued to the socket now (close calls it before waiting). */
  protected abstract flush(): void;

  /** The rejection of a message that cannot be queued at all (closed, too large), else `null`. */
  protected refuse(message: Uint8Array): Promise<void> | null {
    if (this.closedFlag) return Promise.reject(closedError());
    const max = this.opts.maxMessageBytes;
    if (message.length > max) return Promise.reject(tooLargeError(message.length, max));
    return null;
  }

  /** True when `out` takes one more message now (below its bounds, nobody waiting). */
  protected hasRoom(out: Outbox): boolean {
    return out.size < this.opts.sendQueueDepth && out.bytes < this.queueBytes && !out.hasWaiters;
  }

  /** True when a send to `out` now would wait. */
  protected full(out: Outbox): boolean {
    return out.isFull(this.opts.sendQueueDepth, this.queueBytes);
  }

  /** A send that found `out` full: waits for room, or rejects with `QUEUE_FULL` (`whenFull`). */
  protected overflow(out: Outbox, message: Uint8Array, topic?: Uint8Array): Promise<void> {
    if (this.opts.whenFull === 'error') {
      return Promise.reject(queueFullError(this.opts.sendQueueDepth));
    }
    return out.wait(message, topic);
  }

  /**
   * Counts one ZeroMQ message of `n` logical messages that left, and admits
   * waiting senders into the room it freed; returns how many were admitted.
   */
  protected sent(out: Outbox, n: number): number {
    out.shift(n);
    this.counters.zmqOut++;
    if (n > 1) this.counters.bursts++;
    return this.admitWaiting(out);
  }

  /** Moves waiting senders into `out` while it has room; returns how many. */
  protected admitWaiting(out: Outbox): number {
    if (!out.hasWaiters) return 0;
    const admitted = out.admit(this.opts.sendQueueDepth, this.queueBytes);
    this.counters.messagesOut += admitted;
    return admitted;
  }

  /** Wakes `close()` once nothing is pending any more; writers call it when they stop. */
  protected notifyDrained(): void {
    if (this.drainWaiters.length === 0 || this.pending()) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Fails the waiting senders of `out` and drops (counted) what it holds; returns how many. */
  protected discard(out: Outbox, peer?: PeerId): number {
    out.rejectWaiters(closedError());
    const left = out.clear();
    this.drop('transport closed before the message was sent', left, peer);
    return left;
  }

  /**
   * Flushes what is queued, bounded by `closeTimeoutMs`, then releases the
   * socket. Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.closePromise = this.shutdown();
    }
    return this.closePromise;
  }

  /** The first half of every `shutdown`: waits (bounded) until what is pending has left. */
  protected flushBeforeClose(): Promise<void> {
    if (!this.pending()) return RESOLVED;
    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.flush();
    return waitAtMost(drained, this.opts.closeTimeoutMs);
  }
}
