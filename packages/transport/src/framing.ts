/**
 * Transport framing version 1 (docs/PROTOCOL.md, "Transport framing").
 *
 * A ZeroMQ message carries either
 * - a burst: exactly one frame, `0x01` then one or more entries of
 *   `u32 big-endian length L` + `L` bytes, consuming the frame exactly; or
 * - a large message: exactly two frames, `[0x02]` and the message as is.
 *
 * Routing-id (ROUTER) and topic (pub/sub) frames come before these and are
 * handled by the sockets, not here.
 */

import type { ResolvedBurst } from './options.js';

/** First byte of a burst frame (framing version 1). */
export const TAG_BURST = 0x01;
/** The single byte of the first frame of a large message (framing version 1). */
export const TAG_LARGE = 0x02;

/** Frame 0 of every large message; shared so it is not allocated per send. */
export const LARGE_TAG_FRAME: Buffer = Buffer.from([TAG_LARGE]);

/** The result of {@link decodeFrames}: the logical messages, or why the input was rejected. */
export type DecodeResult =
  | { readonly ok: true; readonly messages: Uint8Array[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a burst frame without allocating. Returns `undefined` when it is
 * well formed, otherwise the reason it must be dropped.
 */
export function checkBurst(frame: Uint8Array, maxMessageBytes: number): string | undefined {
  const end = frame.length;
  if (end < 5) {
    return end <= 1 ? 'burst without entries' : 'burst entry header truncated';
  }
  let off = 1;
  while (off < end) {
    if (off + 4 > end) return 'burst entry header truncated';
    // Unsigned arithmetic by hand: faster than a DataView per frame, and
    // `>>> 0` keeps lengths >= 2^31 positive so the bound check catches them.
    const len = readU32(frame, off);
    if (len > maxMessageBytes) return `burst entry of ${len} bytes above maxMessageBytes`;
    off += 4 + len;
    if (off > end) return 'burst entry truncated';
  }
  return undefined;
}

/**
 * Classifies a ZeroMQ message body (the frames after any routing-id or topic
 * frame). Returns `undefined` when it is a valid burst or large message,
 * otherwise the drop reason.
 */
export function checkFrames(
  frames: readonly Uint8Array[],
  first: number,
  maxMessageBytes: number,
): string | undefined {
  const count = frames.length - first;
  const head = frames[first];
  if (head === undefined) return 'missing framing frame';
  if (head.length === 0) return 'empty framing frame';
  const tag = head[0]!;
  if (tag === TAG_BURST) {
    if (count !== 1) return `burst with ${count} frames (expected 1)`;
    return checkBurst(head, maxMessageBytes);
  }
  if (tag === TAG_LARGE) {
    if (head.length !== 1) return 'large-message tag frame longer than 1 byte';
    if (count !== 2) return `large message with ${count} frames (expected 2)`;
    const body = frames[first + 1]!;
    if (body.length > maxMessageBytes) {
      return `large message of ${body.length} bytes above maxMessageBytes`;
    }
    return undefined;
  }
  return `unknown framing tag 0x${tag.toString(16).padStart(2, '0')}`;
}

/**
 * Encodes `count` messages starting at `start` into one burst frame of
 * `bytes` bytes (as computed by {@link planBurst}).
 */
export function writeBurst(
  messages: readonly Uint8Array[],
  start: number,
  count: number,
  bytes: number,
): Buffer {
  const frame = Buffer.allocUnsafe(bytes);
  frame[0] = TAG_BURST;
  let off = 1;
  for (let i = start, end = start + count; i < end; i++) {
    const m = messages[i]!;
    const len = m.length;
    frame[off] = len >>> 24;
    frame[off + 1] = (len >>> 16) & 0xff;
    frame[off + 2] = (len >>> 8) & 0xff;
    frame[off + 3] = len & 0xff;
    frame.set(m, off + 4);
    off += 4 + len;
  }
  return frame;
}

/**
 * How many queued messages from `start` (up to `end`) go into the next burst
 * and how many bytes that burst frame has. Returns count 0 when the first
 * message is large and must travel alone as a large message.
 */
export function planBurst(
  messages: readonly Uint8Array[],
  start: number,
  end: number,
  limits: ResolvedBurst,
  out: { count: number; bytes: number },
): void {
  const first = messages[start]!;
  if (first.length > limits.largeMessageBytes) {
    out.count = 0;
    out.bytes = first.length;
    return;
  }
  let bytes = 1 + 4 + first.length;
  let n = 1;
  const max = Math.min(end - start, limits.maxMessages);
  while (n < max) {
    const len = messages[start + n]!.length;
    if (len > limits.largeMessageBytes || bytes + 4 + len > limits.maxBytes) break;
    bytes += 4 + len;
    n++;
  }
  out.count = n;
  out.bytes = bytes;
}

/**
 * Encodes messages as one burst frame (the `0x01` form), whatever their size.
 * The transport itself sends messages above `burst.largeMessageBytes` with
 * {@link encodeLarge}; this is the reference encoder the protocol vectors use.
 */
export function encodeBurst(messages: readonly Uint8Array[]): Buffer {
  if (messages.length === 0) throw new RangeError('a burst needs at least one message');
  let bytes = 1;
  for (const m of messages) bytes += 4 + m.length;
  return writeBurst(messages, 0, messages.length, bytes);
}

/** Encodes one message in the large form: `[0x02]` and the message, not copied. */
export function encodeLarge(message: Uint8Array): [Uint8Array, Uint8Array] {
  return [LARGE_TAG_FRAME, message];
}

/**
 * Decodes the frames of one ZeroMQ message (after any routing-id or topic
 * frame) into logical messages. The messages are views into the frames.
 */
export function decodeFrames(
  frames: readonly Uint8Array[],
  options: { maxMessageBytes?: number } = {},
): DecodeResult {
  const max = options.maxMessageBytes ?? 0xffff_ffff;
  const reason = checkFrames(frames, 0, max);
  if (reason !== undefined) return { ok: false, reason };
  const head = frames[0]!;
  if (head[0] === TAG_LARGE) return { ok: true, messages: [frames[1]!] };
  const messages: Uint8Array[] = [];
  let off = 1;
  while (off < head.length) {
    const len = readU32(head, off);
    messages.push(head.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return { ok: true, messages };
}

/**
 * Reads a u32 big-endian length by hand: faster than a DataView per frame,
 * and `>>> 0` keeps lengths >= 2^31 positive so bound checks catch them.
 */
export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * Walks the entries of a burst frame (already checked by `checkFrames`) one
 * at a time; the receive paths of every transport share it.
 */
export class BurstCursor {
  /** The burst being read, or `null` once its last entry was taken. */
  frame: Buffer | null = null;
  #off = 0;

  /** Starts on a checked burst frame. */
  load(frame: Buffer): void {
    this.frame = frame;
    this.#off = 1;
  }

  /**
   * The next entry, as a Buffer view (not a plain Uint8Array: decoders such
   * as msgpackr take faster paths on Buffers). Only while `frame` is set.
   */
  take(): Buffer {
    const frame = this.frame as Buffer;
    const start = this.skip();
    return frame.subarray(start, this.end);
  }

  /** End (exclusive) of the entry the last {@link skip} passed. */
  end = 0;

  /**
   * Passes the next entry without building a view: returns where it starts
   * in `frame` (captured before the call) and sets {@link end}.
   */
  skip(): number {
    const frame = this.frame as Buffer;
    const off = this.#off;
    const end = off + 4 + readU32(frame, off);
    if (end >= frame.length) this.frame = null;
    else this.#off = end;
    this.end = end;
    return off + 4;
  }
}

/**
 * The burst `frame` (well formed) without its entries above `max`, and how
 * many were left out; `frame` is `null` when none is left. Copies: this is
 * the rare case of a publisher with a larger limit than this subscriber.
 */
export function withoutOversize(
  frame: Buffer,
  max: number,
): { frame: Buffer | null; dropped: number } {
  const kept: Buffer[] = [];
  let bytes = 1;
  let dropped = 0;
  let off = 1;
  while (off < frame.length) {
    const next = off + 4 + readU32(frame, off);
    if (next - off - 4 > max) {
      dropped++;
    } else {
      kept.push(frame.subarray(off, next));
      bytes += next - off;
    }
    off = next;
  }
  if (kept.length === 0) return { frame: null, dropped };
  const out = Buffer.allocUnsafe(bytes);
  out[0] = TAG_BURST;
  let at = 1;
  for (const entry of kept) at += entry.copy(out, at);
  return { frame: out, dropped };
}
