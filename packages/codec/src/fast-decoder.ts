/**
 * The one-pass decoder behind `decode` for the common case: standard
 * MessagePack made of nil, booleans, numbers, strings, binaries, arrays and
 * maps with string keys — what RPC payloads, stream messages and pub/sub
 * values are. It checks every bound, the nesting depth and the exact end as
 * it builds the value, so no separate scan is needed.
 *
 * Anything else, or anything wrong, makes it give up (it throws
 * {@link FALLBACK}, never a value it is unsure of): extensions (timestamps
 * included), map keys that are not strings, 64-bit integers beyond ±2^53 in
 * `'bigint'` mode (in `'string'` mode it writes their decimal string),
 * truncated or trailing bytes, 0xc1, too deep. The codec then
 * takes its general path (the scanner, then msgpackr), which decodes the rest
 * of the format and reports each problem with its precise `CodecError`. So
 * the fast path changes speed, never results: it produces exactly what that
 * path does for the inputs it accepts (the codec's tests run every input
 * through both).
 *
 * Why not msgpackr alone: msgpackr needs the scan in front of it (FACTS.md:
 * it reads records and extensions whatever its options say), and for small
 * messages it pays a native string-extraction call per message. Fused, a
 * 100-byte pub/sub value decodes in about 0.6x the time of scan + msgpackr.
 */

/** Thrown (never returned) when the input needs the general path. */
export const FALLBACK: unique symbol = Symbol('xsmb.codec.fallback');

/** Settings, as resolved by `createMsgpackCodec`. */
export interface FastDecoderSettings {
  readonly maxDepth: number;
  readonly maps: 'object' | 'map';
  readonly int64: 'bigint' | 'number' | 'string';
  readonly copyBinary: boolean;
}

/** Decodes `u8[start, end)`; `buf` and `view` cover the same memory as `u8`. */
export type FastDecode = (
  u8: Uint8Array,
  buf: Buffer,
  view: DataView,
  start: number,
  end: number,
) => unknown;

// Keys up to this many bytes go through the key cache.
const MAX_CACHED_KEY = 24;
const KEY_CACHE_SIZE = 4096;
const TWO_32 = 0x1_0000_0000;
const fromCharCode = String.fromCharCode;

interface CachedKey {
  readonly bytes: Uint8Array;
  readonly key: string;
}

/** Creates a decoder with its own state (key cache); not re-entrant. */
export function createFastDecoder(settings: FastDecoderSettings): FastDecode {
  const { maxDepth, copyBinary } = settings;
  const asObjects = settings.maps === 'object';
  const int64Mode = settings.int64;
  const keyCache: Array<CachedKey | undefined> = new Array(KEY_CACHE_SIZE);
  let src: Uint8Array = new Uint8Array(0);
  let text: Buffer = Buffer.alloc(0);
  let view: DataView = new DataView(new ArrayBuffer(0));
  let pos = 0;
  let end = 0;
  let depth = 0;

  function string(length: number): string {
    const start = pos;
    const stop = start + length;
    if (stop > end) throw FALLBACK;
    pos = stop;
    if (length < 16) {
      const b = src;
      let ascii = 0;
      for (let i = start; i < stop; i++) ascii |= b[i]!;
      // One fromCharCode call with the bytes as arguments: a third of the
      // cost of building the string a character at a time, and below a
      // native call's cost up to this length.
      if (ascii < 0x80) return length < 8 ? ascii8(b, start, length) : ascii16(b, start, length);
    }
    return text.toString('utf8', start, stop);
  }

  /** A map key of `length` bytes at `pos`: from the cache when seen before. */
  function key(length: number): string {
    if (length > MAX_CACHED_KEY || length === 0) return string(length);
    const start = pos;
    if (start + length > end) throw FALLBACK;
    const hash =
      ((length << 7) ^ (src[start]! << 3) ^ (src[start + 1]! << 5) ^ src[start + length - 1]!) &
      (KEY_CACHE_SIZE - 1);
    const cached = keyCache[hash];
    if (cached !== undefined && cached.bytes.length === length) {
      const bytes = cached.bytes;
      let i = 0;
      while (i < length && bytes[i] === src[start + i]) i++;
      if (i === length) {
        pos = start + length;
        return cached.key;
      }
    }
    const k = string(length);
    keyCache[hash] = { bytes: src.slice(start, start + length), key: k };
    return k;
  }

  function binary(length: number): Uint8Array {
    const start = pos;
    if (start + length > end) throw FALLBACK;
    pos = start + length;
    return copyBinary ? src.slice(start, pos) : src.subarray(start, pos);
  }

  function array(length: number): unknown[] {
    if (length > end - pos || depth === maxDepth) throw FALLBACK;
    depth++;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = value();
    depth--;
    return out;
  }

  function map(length: number): unknown {
    if (length * 2 > end - pos || depth === maxDepth) throw FALLBACK;
    depth++;
    if (!asObjects) {
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < length; i++) out.set(value(), value());
      depth--;
      return out;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      // An earlier value may have used up the input: every read checks `end`.
      if (pos >= end) throw FALLBACK;
      const t = src[pos++]!;
      let k: string;
      if (t >= 0xa0 && t <= 0xbf) k = key(t - 0xa0);
      else if (t === 0xd9) k = string(byte());
      else if (t === 0xda) k = string(u16());
      else if (t === 0xdb) k = string(u32());
      else throw FALLBACK; // numbers, booleans, nil as keys: the general path
      // As msgpackr does: no key can replace the object's prototype.
      out[k === '__proto__' ? '__proto_' : k] = value();
    }
    depth--;
    return out;
  }

  function byte(): number {
    if (pos >= end) throw FALLBACK;
    return src[pos++]!;
  }

  function u16(): number {
    const at = pos;
    if (at + 2 > end) throw FALLBACK;
    pos = at + 2;
    return (src[at]! << 8) | src[at + 1]!;
  }

  function u32(): number {
    const at = pos;
    if (at + 4 > end) throw FALLBACK;
    pos = at + 4;
    return view.getUint32(at);
  }

  /** A 64-bit integer, as the general path returns it (see the module comment). */
  function int64(signed: boolean): number | string {
    const at = pos;
    if (at + 8 > end) throw FALLBACK;
    pos = at + 8;
    const high = signed ? view.getInt32(at) : view.getUint32(at);
    const low = view.getUint32(at + 4);
    if (int64Mode !== 'number') {
      // Beyond ±2^53 a number cannot be exact: a bigint (general path) or a string.
      if (high > 0x20_0000 || (high === 0x20_0000 && low !== 0) || high < -0x20_0000) {
        if (int64Mode === 'bigint') throw FALLBACK;
        return (signed ? view.getBigInt64(at) : view.getBigUint64(at)).toString();
      }
    }
    return high * TWO_32 + low;
  }

  function value(): unknown {
    if (pos >= end) throw FALLBACK;
    const t = src[pos++]!;
    if (t < 0x80) return t;
    if (t < 0x90) return map(t - 0x80);
    if (t < 0xa0) return array(t - 0x90);
    if (t < 0xc0) return string(t - 0xa0);
    if (t >= 0xe0) return t - 0x100;
    let at: number;
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return binary(byte());
      case 0xc5:
        return binary(u16());
      case 0xc6:
        return binary(u32());
      case 0xca:
        at = pos;
        if (at + 4 > end) throw FALLBACK;
        pos = at + 4;
        return view.getFloat32(at);
      case 0xcb:
        at = pos;
        if (at + 8 > end) throw FALLBACK;
        pos = at + 8;
        return view.getFloat64(at);
      case 0xcc:
        return byte();
      case 0xcd:
        return u16();
      case 0xce:
        return u32();
      case 0xcf:
        return int64(false);
      case 0xd0:
        return (byte() << 24) >> 24;
      case 0xd1:
        return (u16() << 16) >> 16;
      case 0xd2:
        return u32() | 0;
      case 0xd3:
        return int64(true);
      case 0xd9:
        return string(byte());
      case 0xda:
        return string(u16());
      case 0xdb:
        return string(u32());
      case 0xdc:
        return array(u16());
      case 0xdd:
        return array(u32());
      case 0xde:
        return map(u16());
      case 0xdf:
        return map(u32());
      default:
        // 0xc1 and every extension: the general path decides.
        throw FALLBACK;
    }
  }

  return (u8, buf, dataView, start, stop) => {
    src = u8;
    text = buf;
    view = dataView;
    pos = start;
    end = stop;
    depth = 0;
    try {
      const result = value();
      if (pos !== end) throw FALLBACK;
      return result;
    } finally {
      // Do not keep the caller's buffer alive.
      src = EMPTY;
      text = EMPTY_BUFFER;
    }
  };
}

/** The ASCII string of the `n` (< 8) bytes at `x`. */
function ascii8(b: Uint8Array, x: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[x]!);
    case 2:
      return fromCharCode(b[x]!, b[x + 1]!);
    case 3:
      return fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!);
    case 4:
      return fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!, b[x + 3]!);
    case 5:
      return fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!, b[x + 3]!, b[x + 4]!);
    case 6:
      return fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!, b[x + 3]!, b[x + 4]!, b[x + 5]!);
    default:
      return fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!, b[x + 3]!, b[x + 4]!, b[x + 5]!, b[x + 6]!);
  }
}

/** The ASCII string of the `n` (8 to 15) bytes at `x`. */
function ascii16(b: Uint8Array, x: number, n: number): string {
  const head = fromCharCode(
    b[x]!,
    b[x + 1]!,
    b[x + 2]!,
    b[x + 3]!,
    b[x + 4]!,
    b[x + 5]!,
    b[x + 6]!,
    b[x + 7]!,
  );
  return n === 8 ? head : head + ascii8(b, x + 8, n - 8);
}

const EMPTY = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);
