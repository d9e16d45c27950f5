/**
 * Turning received ZeroMQ messages into logical messages, for the client and
 * server transports of both engines: the frame check (malformed and
 * oversize input is counted and dropped), then either a large message's
 * body or the entries of a burst, one at a time.
 */

import { BurstCursor, checkFrames, TAG_LARGE } from './framing.js';
import type { PeerId, TransportStats } from './types.js';

/** Counts a drop (the transport's `drop`). */
export type DropSink = (reason: string, count: number, peer?: PeerId) => void;

/** A view of `bytes` as a Buffer (no copy); decoders such as msgpackr are faster on Buffers. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The receive side of one transport. */
export class ReceiveDecoder {
  /** The burst being handed out entry by entry. */
  readonly cursor = new BurstCursor();

  /**
   * @param counters the transport's counters (`zmqIn`, `messagesIn`).
   * @param drop counts what is refused.
   * @param maxMessageBytes the largest logical message accepted.
   */
  constructor(
    private readonly counters: TransportStats,
    private readonly drop: DropSink,
    private readonly maxMessageBytes: number,
  ) {}

  /** True while entries of a received burst wait to be taken. */
  get buffered(): boolean {
    return this.cursor.frame !== null;
  }

  /**
   * Checks one received ZeroMQ message whose transport frames start at
   * `offset`. Returns its head frame (burst, or the large-message tag), or
   * `null` when it was dropped (counted, reported with `peer`).
   */
  accept(frames: readonly Uint8Array[], offset: number, peer?: PeerId): Buffer | null {
    this.counters.zmqIn++;
    const reason = checkFrames(frames, offset, this.maxMessageBytes);
    if (reason !== undefined) {
      this.drop(reason, 1, peer);
      return null;
    }
    return asBuffer(frames[offset]!);
  }

  /** The first logical message of an accepted one: `large` for a large message, else the burst's first entry. */
  first(head: Buffer, large: Uint8Array | undefined): Uint8Array {
    if (head[0] === TAG_LARGE) {
      this.counters.messagesIn++;
      return large!;
    }
    this.cursor.load(head);
    return this.take();
  }

  /** The next entry of the burst being read (only while {@link buffered}). */
  take(): Buffer {
    this.counters.messagesIn++;
    return this.cursor.take();
  }
}
