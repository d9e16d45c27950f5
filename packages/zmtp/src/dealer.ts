/** DEALER: round-robin sends over ready peers, fair receive from all. */

import type { SocketOptions } from './options.js';
import type { BaseEvents, Peer } from './socket-base.js';
import { SocketBase } from './socket-base.js';

/** Receives one message; frames are views valid only during the call (copy to keep). */
export type MessageHandler = (frames: Uint8Array[]) => void;

/** DEALER events: the base events plus `message`. */
export interface DealerEvents extends BaseEvents {
  /** A message arrived (views valid only during the call). */
  message: [frames: Uint8Array[]];
}

/** DEALER options. */
export interface DealerOptions extends SocketOptions {
  /** Message handler (faster than the `message` event); default none. */
  readonly onMessage?: MessageHandler;
}

/** A DEALER socket. */
export class DealerSocket extends SocketBase<DealerEvents> {
  /** The message handler; may be replaced at any time. */
  onMessage: MessageHandler | undefined;
  private ready: Peer[] = [];
  private next = 0;
  /** Messages sent before any peer is ready (bounded by sendHighWaterMark). */
  private pending: Uint8Array[][] = [];
  private wantDrain = false;

  constructor(options: DealerOptions = {}) {
    super('DEALER', options);
    this.onMessage = options.onMessage;
  }

  /**
   * Sends one message to the next ready peer (round robin), skipping full
   * ones. False when every peer is full (or, with none ready yet, the
   * pending queue is at sendHighWaterMark): not queued; 'drain' follows.
   */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    const n = this.ready.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.next + i) % n;
      const peer = this.ready[idx]!;
      if (peer.conn.full) continue;
      this.next = idx + 1;
      if (!peer.conn.send(frames)) continue;
      this.counters.messagesOut++;
      this.counters.framesOut += frames.length;
      return true;
    }
    if (n === 0 && this.pending.length < this.opts.sendHighWaterMark) {
      this.pending.push(frames as Uint8Array[]);
      return true;
    }
    this.wantDrain = true;
    return false;
  }

  protected peerReady(peer: Peer): void {
    this.ready.push(peer);
    if (this.pending.length > 0) {
      const pending = this.pending;
      this.pending = [];
      for (const m of pending) {
        if (peer.conn.send(m)) {
          this.counters.messagesOut++;
          this.counters.framesOut += m.length;
        } else this.counters.drops.hwm++;
      }
    }
    this.peerWritable(peer);
  }

  protected peerMessage(_peer: Peer, frames: Uint8Array[]): void {
    const h = this.onMessage;
    if (h !== undefined) h(frames);
    if (this.has('message')) this.emit('message', frames);
  }

  protected peerGone(peer: Peer): void {
    const i = this.ready.indexOf(peer);
    if (i >= 0) this.ready.splice(i, 1);
  }

  protected peerWritable(_peer: Peer): void {
    if (this.wantDrain) {
      this.wantDrain = false;
      this.emitDrain();
    }
  }

  protected override onClosed(): void {
    this.ready = [];
    this.pending = [];
    this.onMessage = undefined;
  }
}

/** Creates a DEALER socket. */
export function createDealer(options: DealerOptions = {}): DealerSocket {
  return new DealerSocket(options);
}
