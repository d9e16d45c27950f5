import { CodecError } from './errors.js';

/** Settings of {@link MsgpackEncoder}, already validated by `createMsgpackCodec`. */
export interface EncoderSettings {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly omitUndefined: boolean;
}

// Output is bump-allocated from slabs that are never written twice, so every
// returned view stays valid after later calls without a copy per message (the
// same trade as Node's own Buffer pool: a live view keeps its slab alive).
const SLAB_BYTES = 16_384;
// Start a fresh slab rather than begin a message in the last few bytes of one.
const MIN_FREE_BYTES = 1_024;
// Every fixed-size item fits in this many bytes (the largest, timestamp 96, is 15).
const MARGIN = 16;
// Strings up to this many UTF-16 units are encoded by hand: cheaper than a native call.
const SHORT_STRING = 64;

const TWO_32 = 0x1_0000_0000;
const TWO_34 = 0x4_0000_0000;
const BIG_INT32_MIN = -0x8000_0000n;
const BIG_UINT32_MAX = 0xffff_ffffn;
const BIG_INT64_MIN = -0x8000_0000_0000_0000n;
const BIG_UINT64_MAX = 0xffff_ffff_ffff_ffffn;

/** First codes of the sized forms: str 8/16/32 are 0xd9-0xdb, bin 8/16/32 are 0xc4-0xc6. */
const STR8 = 0xd9;
const BIN8 = 0xc4;

const hasOwn = Object.prototype.hasOwnProperty;

// Buffer's own UTF-8 writer, without the argument juggling of buf.write()
// (undocumented but present since Node 0.x; msgpackr relies on it too).
type Utf8Writer = (this: Buffer, value: string, offset: number) => number;
const nativeUtf8Write = (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write;
/** Writes `value` as UTF-8 at `offset` (room is guaranteed by the caller); returns the byte count. */
const utf8Write: (buf: Buffer, value: string, offset: number) => number =
  typeof nativeUtf8Write === 'function'
    ? (buf, value, offset) => nativeUtf8Write.call(buf, value, offset)
    : (buf, value, offset) => buf.write(value, offset, 'utf8');

/** Bytes of the str or bin header for `bytes` bytes of payload (8-, 16- or 32-bit length). */
function sizedHeaderSize(bytes: number): 2 | 3 | 5 {
  return bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
}

function allocate(size: number): Buffer {
  // Zero-filled: the unused tail of a slab is reachable through `.buffer`.
  return Buffer.alloc(size);
}

/**
 * A MessagePack writer limited to the standard format, with the smallest
 * encoding for every integer (as rmp-serde and msgpack-java write them) and
 * no msgpackr extensions. Instances are independent: no module-level state.
 */
export class MsgpackEncoder {
  private buf: Buffer;
  private view: DataView;
  private pos = 0;
  private start = 0;
  private safeEnd: number;
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  private readonly omitUndefined: boolean;

  constructor(settings: EncoderSettings) {
    this.maxBytes = settings.maxBytes;
    this.maxDepth = settings.maxDepth;
    this.omitUndefined = settings.omitUndefined;
    this.buf = allocate(SLAB_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.safeEnd = this.buf.length - MARGIN;
  }

  encode(value: unknown): Uint8Array {
    if (this.buf.length - this.pos < MIN_FREE_BYTES) this.replaceSlab(SLAB_BYTES);
    this.start = this.pos;
    try {
      this.write(value, 0);
    } catch (error) {
      this.discard();
      throw toEncodeError(error);
    }
    const length = this.pos - this.start;
    if (length > this.maxBytes) {
      this.discard();
      throw tooLarge(length, this.maxBytes);
    }
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length > SLAB_BYTES) {
      // A big message got its own buffer; small ones must not keep it alive.
      this.replaceSlab(SLAB_BYTES);
    } else {
      // 8-byte alignment keeps later copies of each message on the fast path.
      this.pos = (this.pos + 7) & ~7;
    }
    return out;
  }

  /** Drops the message being written: nothing of it was handed out. */
  private discard(): void {
    if (this.buf.length > SLAB_BYTES) this.replaceSlab(SLAB_BYTES);
    else this.pos = this.start;
  }

  private replaceSlab(size: number): void {
    this.buf = allocate(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.safeEnd = size - MARGIN;
    this.pos = 0;
    this.start = 0;
  }

  /** Makes room up to `end` (an absolute position) by moving the current message to a bigger buffer. */
  private grow(end: number): void {
    // Callers ask for at most a few hundred bytes beyond what they write, and
    // strings and binaries check their exact size first (checkRoom), so the
    // buffer never grows far past maxBytes.
    if (this.pos - this.start > this.maxBytes) throw tooLarge(this.pos - this.start, this.maxBytes);
    const needed = end - this.start;
    let size = SLAB_BYTES;
    while (size < needed) size *= 2;
    const next = allocate(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.pos -= this.start;
    this.start = 0;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.safeEnd = size - MARGIN;
  }

  /** Ensures `bytes` more bytes fit, failing early (before allocating) past maxBytes. */
  private checkRoom(bytes: number): void {
    const length = this.pos - this.start + bytes;
    if (length > this.maxBytes) throw tooLarge(length, this.maxBytes);
    if (this.pos + bytes > this.safeEnd) this.grow(this.pos + bytes + MARGIN);
  }

  private write(value: unknown, depth: number): void {
    if (this.pos > this.safeEnd) this.grow(this.pos + MARGIN);
    switch (typeof value) {
      case 'string':
        this.writeString(value);
        return;
      case 'number':
        this.writeNumber(value);
        return;
      case 'boolean':
        this.buf[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'object':
        if (value === null) this.buf[this.pos++] = 0xc0;
        else this.writeObject(value, depth);
        return;
      case 'undefined':
        this.buf[this.pos++] = 0xc0;
        return;
      case 'bigint':
        this.writeBigInt(value);
        return;
      default:
        throw new CodecError(
          'UNSUPPORTED_TYPE',
          `cannot encode a ${typeof value}: MessagePack has no ${typeof value} type`,
        );
    }
  }

  private writeNumber(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (value >>> 0 === value) {
      if (value < 0x80) {
        buf[pos++] = value;
      } else if (value < 0x100) {
        buf[pos++] = 0xcc;
        buf[pos++] = value;
      } else if (value < 0x10000) {
        buf[pos++] = 0xcd;
        buf[pos++] = value >> 8;
        buf[pos++] = value & 0xff;
      } else {
        buf[pos++] = 0xce;
        this.view.setUint32(pos, value);
        pos += 4;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) {
        buf[pos++] = value & 0xff;
      } else if (value >= -0x80) {
        buf[pos++] = 0xd0;
        buf[pos++] = value & 0xff;
      } else if (value >= -0x8000) {
        buf[pos++] = 0xd1;
        this.view.setInt16(pos, value);
        pos += 2;
      } else {
        buf[pos++] = 0xd2;
        this.view.setInt32(pos, value);
        pos += 4;
      }
    } else if (Number.isSafeInteger(value)) {
      // Integral beyond 32 bits: an integer, so that a Rust u64/i64 or a Java long reads it.
      const high = Math.floor(value / TWO_32);
      buf[pos++] = value > 0 ? 0xcf : 0xd3;
      this.view.setInt32(pos, high);
      this.view.setUint32(pos + 4, value - high * TWO_32);
      pos += 8;
    } else {
      buf[pos++] = 0xcb;
      this.view.setFloat64(pos, value);
      pos += 8;
    }
    this.pos = pos;
  }

  private writeBigInt(value: bigint): void {
    if (value >= BIG_INT32_MIN && value <= BIG_UINT32_MAX) {
      this.writeNumber(Number(value));
    } else if (value > 0n && value <= BIG_UINT64_MAX) {
      this.buf[this.pos++] = 0xcf;
      this.view.setBigUint64(this.pos, value);
      this.pos += 8;
    } else if (value < 0n && value >= BIG_INT64_MIN) {
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, value);
      this.pos += 8;
    } else {
      throw new CodecError(
        'UNSUPPORTED_TYPE',
        `cannot encode bigint ${value}: outside the 64-bit integer range of MessagePack`,
      );
    }
  }

  private writeString(value: string): void {
    const length = value.length;
    if (length < SHORT_STRING) {
      // At most 3 bytes per UTF-16 unit, plus a header of at most 2 bytes.
      if (this.pos + length * 3 + 2 > this.safeEnd) this.grow(this.pos + length * 3 + 2 + MARGIN);
      const buf = this.buf;
      // Guess the header from the unit count (exact for ASCII), shift if UTF-8 needs more.
      const headerSize = length < 0x20 ? 1 : 2;
      const begin = this.pos + headerSize;
      let pos = begin;
      for (let i = 0; i < length; i++) {
        let c = value.charCodeAt(i);
        if (c < 0x80) {
          buf[pos++] = c;
        } else if (c < 0x800) {
          buf[pos++] = 0xc0 | (c >> 6);
          buf[pos++] = 0x80 | (c & 0x3f);
        } else if ((c & 0xfc00) === 0xd800 && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c & 0x3ff) << 10) + (value.charCodeAt(++i) & 0x3ff);
          buf[pos++] = 0xf0 | (c >> 18);
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
        } else if ((c & 0xf800) === 0xd800) {
          // A lone surrogate has no UTF-8 form: U+FFFD, as TextEncoder writes it.
          buf[pos++] = 0xef;
          buf[pos++] = 0xbf;
          buf[pos++] = 0xbd;
        } else {
          buf[pos++] = 0xe0 | (c >> 12);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
        }
      }
      const bytes = pos - begin;
      if (bytes < 0x20) {
        // headerSize is 1 here: fewer than 32 bytes means fewer than 32 units.
        buf[this.pos] = 0xa0 | bytes;
        this.pos = pos;
      } else {
        if (headerSize === 1) {
          buf.copyWithin(begin + 1, begin, pos);
          pos++;
        }
        buf[this.pos] = STR8;
        buf[this.pos + 1] = bytes;
        this.pos = pos;
      }
      return;
    }
    if (this.pos + 5 + length * 3 <= this.safeEnd) {
      // The worst case (3 bytes per unit) fits: write at once behind a header
      // guessed from the unit count (exact for ASCII), move the bytes if UTF-8
      // needed a longer header.
      const buf = this.buf;
      const guess = sizedHeaderSize(length);
      const begin = this.pos + guess;
      const bytes = utf8Write(buf, value, begin);
      const headerSize = sizedHeaderSize(bytes);
      if (headerSize > guess) buf.copyWithin(this.pos + headerSize, begin, begin + bytes);
      this.writeSizedHeader(STR8, bytes, headerSize);
      this.pos += bytes;
      return;
    }
    // Measure first: a string that cannot fit maxBytes fails before any buffer grows for it.
    const bytes = Buffer.byteLength(value, 'utf8');
    const headerSize = sizedHeaderSize(bytes);
    this.checkRoom(headerSize + bytes);
    this.writeSizedHeader(STR8, bytes, headerSize);
    this.pos += utf8Write(this.buf, value, this.pos);
  }

  /**
   * Writes the header of a str or bin of `bytes` bytes in its `headerSize`
   * ({@link sizedHeaderSize}) form: `code8` with an 8-bit length, `code8 + 1`
   * with 16 bits, `code8 + 2` with 32.
   */
  private writeSizedHeader(code8: number, bytes: number, headerSize: number): void {
    const buf = this.buf;
    if (headerSize === 2) {
      buf[this.pos++] = code8;
      buf[this.pos++] = bytes;
    } else if (headerSize === 3) {
      buf[this.pos++] = code8 + 1;
      buf[this.pos++] = bytes >> 8;
      buf[this.pos++] = bytes & 0xff;
    } else {
      buf[this.pos++] = code8 + 2;
      this.view.setUint32(this.pos, bytes);
      this.pos += 4;
    }
  }

  private writeBinary(bytes: Uint8Array): void {
    const length = bytes.byteLength;
    this.checkRoom(5 + length);
    this.writeSizedHeader(BIN8, length, sizedHeaderSize(length));
    this.buf.set(bytes, this.pos);
    this.pos += length;
  }

  private writeObject(value: object, depth: number): void {
    if (++depth > this.maxDepth) throw tooDeep(this.maxDepth);
    const ctor = (value as { constructor?: unknown }).constructor;
    if (ctor === Object || ctor === undefined) {
      this.writePlainObject(value as Record<string, unknown>, depth);
    } else if (Array.isArray(value)) {
      this.writeArray(value, depth);
    } else if (value instanceof Uint8Array) {
      this.writeBinary(value);
    } else if (value instanceof Date) {
      this.writeDate(value);
    } else {
      this.writeOtherObject(value, depth);
    }
  }

  private writeArray(value: readonly unknown[], depth: number): void {
    const length = value.length;
    this.writeHeader(length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < length; i++) this.write(value[i], depth);
  }

  private writeHeader(length: number, fix: number, of16: number, of32: number): void {
    const buf = this.buf;
    if (length < 0x10) {
      buf[this.pos++] = fix | length;
    } else if (length < 0x10000) {
      buf[this.pos++] = of16;
      buf[this.pos++] = length >> 8;
      buf[this.pos++] = length & 0xff;
    } else {
      buf[this.pos++] = of32;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    }
  }

  private writePlainObject(value: Record<string, unknown>, depth: number): void {
    // One byte reserved for a fixmap header; the rare map of 16+ entries shifts its body.
    const headerOffset = this.pos++ - this.start;
    let count = 0;
    const omitUndefined = this.omitUndefined;
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      const entry = value[key];
      if (entry === undefined && omitUndefined) continue;
      if (this.pos > this.safeEnd) this.grow(this.pos + MARGIN);
      this.writeString(key);
      this.write(entry, depth);
      count++;
    }
    this.patchMapHeader(headerOffset, count);
  }

  private patchMapHeader(headerOffset: number, count: number): void {
    if (count < 0x10) {
      this.buf[this.start + headerOffset] = 0x80 | count;
      return;
    }
    const extra = count < 0x10000 ? 2 : 4;
    if (this.pos + extra > this.safeEnd) this.grow(this.pos + extra + MARGIN);
    // After grow() the message may have moved: locate the header from the current start.
    const header = this.start + headerOffset;
    this.buf.copyWithin(header + 1 + extra, header + 1, this.pos);
    this.pos += extra;
    if (extra === 2) {
      this.buf[header] = 0xde;
      this.buf[header + 1] = count >> 8;
      this.buf[header + 2] = count & 0xff;
    } else {
      this.buf[header] = 0xdf;
      this.view.setUint32(header + 1, count);
    }
  }

  private writeDate(value: Date): void {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new CodecError('UNSUPPORTED_TYPE', 'cannot encode an invalid Date');
    const seconds = Math.floor(ms / 1000);
    const nanoseconds = (ms - seconds * 1000) * 1_000_000;
    const buf = this.buf;
    const view = this.view;
    if (nanoseconds === 0 && seconds >= 0 && seconds < TWO_32) {
      // timestamp 32
      buf[this.pos++] = 0xd6;
      buf[this.pos++] = 0xff;
      view.setUint32(this.pos, seconds);
      this.pos += 4;
    } else if (seconds >= 0 && seconds < TWO_34) {
      // timestamp 64: 30 bits of nanoseconds, 34 bits of seconds
      buf[this.pos++] = 0xd7;
      buf[this.pos++] = 0xff;
      view.setUint32(this.pos, nanoseconds * 4 + Math.floor(seconds / TWO_32));
      view.setUint32(this.pos + 4, seconds % TWO_32);
      this.pos += 8;
    } else {
      // timestamp 96: uint32 nanoseconds, int64 seconds
      buf[this.pos++] = 0xc7;
      buf[this.pos++] = 12;
      buf[this.pos++] = 0xff;
      const high = Math.floor(seconds / TWO_32);
      view.setUint32(this.pos, nanoseconds);
      view.setInt32(this.pos + 4, high);
      view.setUint32(this.pos + 8, seconds - high * TWO_32);
      this.pos += 12;
    }
  }

  private writeOtherObject(value: object, depth: number): void {
    if (value instanceof Map) {
      const size = value.size;
      // Entries added meanwhile (by a toJSON, say) must not be written: the
      // size read here bounds the loop, as it does the header.
      let seen = 0;
      if (this.omitUndefined) {
        // Entries may be left out: reserve a fixmap header and patch it, as for objects.
        const headerOffset = this.pos++ - this.start;
        let count = 0;
        for (const [key, entry] of value) {
          if (++seen > size) break;
          if (entry === undefined) continue;
          this.write(key, depth);
          this.write(entry, depth);
          count++;
        }
        if (seen < size) throw changedWhileEncoding('Map');
        this.patchMapHeader(headerOffset, count);
        return;
      }
      this.writeHeader(size, 0x80, 0xde, 0xdf);
      for (const [key, entry] of value) {
        if (++seen > size) break;
        this.write(key, depth);
        this.write(entry, depth);
      }
      if (seen < size) throw changedWhileEncoding('Map');
    } else if (value instanceof Set) {
      const size = value.size;
      this.writeHeader(size, 0x90, 0xdc, 0xdd);
      let count = 0;
      for (const entry of value) {
        if (++count > size) break;
        this.write(entry, depth);
      }
      if (count < size) throw changedWhileEncoding('Set');
    } else if (ArrayBuffer.isView(value)) {
      // Other typed arrays and DataView: their bytes, in platform byte order.
      this.writeBinary(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      this.writeBinary(new Uint8Array(value));
    } else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      // As JSON.stringify does: the object chose its own representation. It
      // counts as a level, so a toJSON that returns its own object ends in TOO_DEEP.
      this.write((value as { toJSON(): unknown }).toJSON(), depth);
    } else if (
      value instanceof Error ||
      value instanceof RegExp ||
      value instanceof Promise ||
      value instanceof WeakMap ||
      value instanceof WeakSet ||
      value instanceof Number ||
      value instanceof String ||
      value instanceof Boolean
    ) {
      const name = value.constructor.name;
      throw new CodecError('UNSUPPORTED_TYPE', `cannot encode a ${name}: convert it to plain data`);
    } else {
      // Class instances: their own enumerable properties, as JSON.stringify does.
      this.writePlainObject(value as Record<string, unknown>, depth);
    }
  }
}

function tooLarge(length: number, maxBytes: number): CodecError {
  return new CodecError(
    'TOO_LARGE',
    `encoded value needs at least ${length} bytes, more than maxBytes (${maxBytes})`,
  );
}

function changedWhileEncoding(what: string): CodecError {
  return new CodecError('UNSUPPORTED_TYPE', `a ${what} lost entries while being encoded`);
}

function tooDeep(maxDepth: number): CodecError {
  return new CodecError(
    'TOO_DEEP',
    `value nests arrays and maps deeper than maxDepth (${maxDepth}), or is cyclic`,
  );
}

function toEncodeError(error: unknown): CodecError {
  if (error instanceof CodecError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new CodecError('TOO_DEEP', 'value nests too deeply for the JavaScript stack', {
      cause: error,
    });
  }
  // A getter or toJSON of the value threw.
  return new CodecError('UNSUPPORTED_TYPE', `cannot encode value: ${String(error)}`, {
    cause: error,
  });
}
