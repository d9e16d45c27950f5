/**
 * ZMTP framing (RFC 23 §"Framing"): one flags byte (MORE = 1, LONG = 2,
 * COMMAND = 4, the other bits reserved and zero), then a 1-byte size or,
 * with LONG, an 8-byte big-endian size, then the body.
 */
import { ZmtpError } from './errors.js';

/** Flag bit: more frames of this message follow. */
export const FLAG_MORE = 1;
/** Flag bit: the size is 8 bytes. */
export const FLAG_LONG = 2;
/** Flag bit: the frame is a command. */
export const FLAG_COMMAND = 4;

/** Receives each decoded frame; `body` is a view valid only during the call. */
export type FrameSink = (flags: number, body: Uint8Array) => void;

/**
 * Incremental frame parser over the chunks a `net.Socket` delivers. A frame
 * that lies inside one chunk is handed out as a view of that chunk (no
 * copy); only a frame split across chunks is copied, into a buffer of
 * exactly its size, allocated once its header (and so its size) is known and
 * checked against `maxFrameBytes` — a declared 8 GiB frame is refused before
 * any allocation.
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(9);
  private headerHave = 0;
  private partial: Uint8Array | null = null;
  private partialHave = 0;
  private partialFlags = 0;

  /**
   * @param sink called with each complete frame (flags without LONG).
   * @param maxFrameBytes largest accepted frame body; bigger → `TOO_LARGE`.
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameBytes: number,
  ) {}

  /** True when no frame is half-received (the stream is at a frame boundary). */
  get idle(): boolean {
    return this.headerHave === 0 && this.partial === null;
  }

  /** Feeds one chunk; throws `ZmtpError` (`PROTOCOL`, `TOO_LARGE`) on bad input, or what the sink throws. */
  push(chunk: Uint8Array): void {
    let at = 0;
    const end = chunk.length;
    if (this.partial !== null) at = this.fillPartial(chunk, 0);
    else if (this.headerHave > 0) at = this.fillHeader(chunk, 0);
    while (at < end) {
      // Fast path: whole header and body inside this chunk → a view, no copy.
      const flags = chunk[at]!;
      if ((flags & 0xf8) !== 0)
        throw new ZmtpError('PROTOCOL', `reserved frame flag bits set (0x${flags.toString(16)})`);
      let size: number;
      let bodyAt: number;
      if ((flags & FLAG_LONG) === 0) {
        if (at + 2 > end) break;
        size = chunk[at + 1]!;
        bodyAt = at + 2;
      } else {
        if (at + 9 > end) break;
        size = this.longSize(chunk, at + 1);
        bodyAt = at + 9;
      }
      if (size > this.maxFrameBytes) throw tooLarge(size, this.maxFrameBytes);
      if (bodyAt + size > end) {
        this.partial = new Uint8Array(size);
        this.partialFlags = flags & ~FLAG_LONG;
        this.partialHave = end - bodyAt;
        this.partial.set(chunk.subarray(bodyAt, end), 0);
        return;
      }
      at = bodyAt + size;
      this.sink(flags & ~FLAG_LONG, chunk.subarray(bodyAt, at));
    }
    if (at < end) {
      // A header split across chunks: keep its few bytes.
      this.header.set(chunk.subarray(at, end), 0);
      this.headerHave = end - at;
    }
  }

  private longSize(buf: Uint8Array, at: number): number {
    const hi = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
    const lo =
      ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
    if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER; // beyond 2^53: certainly too large
    return hi * 0x100000000 + lo;
  }

  private fillHeader(chunk: Uint8Array, start: number): number {
    const flags = this.header[0]!;
    if ((flags & 0xf8) !== 0)
      throw new ZmtpError('PROTOCOL', `reserved frame flag bits set (0x${flags.toString(16)})`);
    const need = (flags & FLAG_LONG) === 0 ? 2 : 9;
    const take = Math.min(need - this.headerHave, chunk.length - start);
    this.header.set(chunk.subarray(start, start + take), this.headerHave);
    this.headerHave += take;
    let at = start + take;
    if (this.headerHave < need) return at;
    this.headerHave = 0;
    const size = need === 2 ? this.header[1]! : this.longSize(this.header, 1);
    if (size > this.maxFrameBytes) throw tooLarge(size, this.maxFrameBytes);
    if (size === 0) {
      this.sink(flags & ~FLAG_LONG, new Uint8Array(0));
      return at;
    }
    this.partial = new Uint8Array(size);
    this.partialFlags = flags & ~FLAG_LONG;
    this.partialHave = 0;
    at = this.fillPartial(chunk, at);
    return at;
  }

  private fillPartial(chunk: Uint8Array, start: number): number {
    const partial = this.partial!;
    const take = Math.min(partial.length - this.partialHave, chunk.length - start);
    partial.set(chunk.subarray(start, start + take), this.partialHave);
    this.partialHave += take;
    if (this.partialHave < partial.length) return chunk.length;
    this.partial = null;
    this.sink(this.partialFlags, partial);
    return start + take;
  }
}

function tooLarge(size: number, max: number): ZmtpError {
  return new ZmtpError('TOO_LARGE', `frame of ${size} bytes exceeds maxMessageBytes ${max}`);
}

/** Size of the header for a body of `size` bytes. */
export function headerSize(size: number): number {
  return size < 256 ? 2 : 9;
}

/** Writes a frame header at `out[at]`; returns the offset after it. */
export function writeHeader(out: Uint8Array, at: number, flags: number, size: number): number {
  if (size < 256) {
    out[at] = flags;
    out[at + 1] = size;
    return at + 2;
  }
  out[at] = flags | FLAG_LONG;
  const hi = Math.floor(size / 0x100000000);
  const lo = size >>> 0;
  out[at + 1] = hi >>> 24;
  out[at + 2] = (hi >>> 16) & 0xff;
  out[at + 3] = (hi >>> 8) & 0xff;
  out[at + 4] = hi & 0xff;
  out[at + 5] = lo >>> 24;
  out[at + 6] = (lo >>> 16) & 0xff;
  out[at + 7] = (lo >>> 8) & 0xff;
  out[at + 8] = lo & 0xff;
  return at + 9;
}
