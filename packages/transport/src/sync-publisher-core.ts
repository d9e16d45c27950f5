/**
 * The writer of the publishers whose socket sends synchronously (zmtp,
 * memory): a full subscriber under `'block'` stops the pass over the queue
 * where it is, and the socket's signal that it has room resumes it. (The
 * libzmq publisher awaits each send instead; see
 * libzmq-publisher-transport.ts.)
 */

import { PublisherCore, type PublishPass } from './publisher-core.js';

/** Base class of the publishers that send synchronously. */
export abstract class SyncPublisherCore extends PublisherCore {
  /** The pass in progress, kept while a subscriber blocks it. */
  private pass: PublishPass | null = null;
  /** A full subscriber refused under `'block'`: wait for {@link resume}. */
  private blocked = false;
  /** The socket closed: nothing more is sent. */
  private stopped = false;

  /**
   * The writer of a socket that sends synchronously (zmtp, memory): passes
   * over the queue, one {@link sendNext} at a time, until the queue is empty
   * or a subscriber blocks (under `'block'`); {@link resume} goes on from
   * where it stopped.
   */
  protected override write(): void {
    while (!this.blocked && !this.stopped) {
      let pass = this.pass;
      if (pass === null) {
        if (this.out.size === 0) break;
        pass = this.startPass();
        this.pass = pass;
      }
      while (pass.i < pass.to) {
        if (!this.sendNext(pass)) {
          this.blocked = true;
          return;
        }
      }
      this.pass = null;
      this.endPass(pass);
    }
    this.notifyDrained();
  }

  /**
   * Sends the next burst (or message) of `pass` and advances `pass.i`;
   * false when a full subscriber blocks it under `'block'` (nothing sent).
   */
  protected abstract sendNext(pass: PublishPass): boolean;

  /** A blocked subscriber has room again: the pass goes on. */
  protected resume(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.write();
  }

  /** The socket is closing: the pass in progress is abandoned, nothing more is sent. */
  protected stop(): void {
    this.pass = null;
    this.stopped = true;
  }
}
