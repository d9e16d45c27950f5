/**
 * A sender with one send queue (a client's, a publisher's) and the
 * scheduling of its writer: everything queued in one turn of the event loop
 * leaves together on the next `setImmediate`, and a writer that awaits the
 * socket (libzmq) is never started twice.
 */

import { BurstWriter } from './burst-writer.js';
import type { ResolvedOptions } from './options.js';
import { Outbox } from './outbox.js';
import { SenderCore } from './sender-core.js';
import { RESOLVED } from './transport-core.js';

/** Base class of the client and publisher transports. */
export abstract class QueueSender extends SenderCore {
  protected readonly out = new Outbox();
  protected readonly writer: BurstWriter;
  /** A `setImmediate` write is due. */
  protected scheduled = false;
  /** The writer awaits the socket (libzmq); while true nobody else starts one. */
  protected writing = false;
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.newTurn();
    this.write();
  };

  /**
   * @param opts the resolved options.
   * @param queueBytes the byte bound of the queue.
   */
  constructor(opts: ResolvedOptions, queueBytes?: number) {
    super(opts, queueBytes);
    this.writer = new BurstWriter(opts.burst);
  }

  /**
   * Sends what is queued (the only caller of the socket's send). This one is
   * for sockets whose sends are awaited (libzmq): it starts {@link writeLoop}
   * unless it runs. The check is synchronous, so a write while the loop runs
   * costs no promise. Sockets that send synchronously override it.
   */
  protected write(): void {
    if (this.writing) return;
    this.writing = true;
    void this.writeLoop();
  }

  /**
   * One run of the awaited writer, started by {@link write} with `writing`
   * set: clears it (in a `finally`) when it stops, then calls
   * `notifyDrained`. Sockets that send synchronously never start it.
   */
  protected writeLoop(): Promise<void> {
    return RESOLVED;
  }

  /** Called when a scheduled write starts a new turn. */
  protected newTurn(): void {}

  protected queueDepth(): number {
    return this.out.size;
  }

  protected pending(): boolean {
    return this.out.size > 0 || this.out.hasWaiters;
  }

  protected flush(): void {
    if (!this.writing) this.write();
  }

  /**
   * Writes on the next turn (`setImmediate`, not a microtask): everything
   * queued in this turn of the event loop goes out in one burst, and a lone
   * message still leaves without a timer delay.
   */
  protected deferWrite(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.runWriter);
  }
}
