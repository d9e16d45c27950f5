import { CodecError } from './errors.js';

/** Settings of {@link MsgpackScanner}, already validated by `createMsgpackCodec`. */
export interface ScannerSettings {
  readonly maxDepth: number;
  /** Maps decode as plain objects: their keys must be strings, numbers, booleans or nil. */
  readonly objectKeys: boolean;
}

const TIMESTAMP = 0xff; // extension type -1
const MAX_NANOSECONDS = 999_999_999;
const MAX_DATE_MS = 8.64e15;
const TWO_32 = 0x1_0000_0000;

// For type bytes of fixed-size items (and fixstr): the item's total size. -1
// for everything that needs a closer look: containers, str/bin 8-32, ext,
// 0xc1, and 64-bit integers (their size decides how they decode).
const FIXED_SIZE = new Int16Array(256).fill(-1);
for (let t = 0x00; t <= 0x7f; t++) FIXED_SIZE[t] = 1; // positive fixint
for (let t = 0xe0; t <= 0xff; t++) FIXED_SIZE[t] = 1; // negative fixint
for (let t = 0xa0; t <= 0xbf; t++) FIXED_SIZE[t] = 1 + t - 0xa0; // fixstr
for (const [t, size] of [
  [0xc0, 1], // nil
  [0xc2, 1], // false
  [0xc3, 1], // true
  [0xca, 5], // float 32
  [0xcb, 9], // float 64
  [0xcc, 2], // uint 8
  [0xcd, 3], // uint 16
  [0xce, 5], // uint 32
  [0xd0, 2], // int 8
  [0xd1, 3], // int 16
  [0xd2, 5], // int 32
] as const) {
  FIXED_SIZE[t] = size;
}

/**
 * Walks the structure of untrusted MessagePack once, before msgpackr sees it:
 * bounds of every length, nesting depth, extension types (only the timestamp
 * passes), map keys, and that exactly one value fills the input. It reads
 * type bytes and lengths only (no values are built, nothing is allocated), so
 * it costs a fraction of decoding, and afterwards msgpackr can take none of
 * its paths for hostile or msgpackr-specific input (records, bundled
 * strings, structured clone, BigInt/Error/RegExp/Set extensions).
 *
 * Iterative with an explicit stack: no recursion, so any depth is safe to
 * scan. Maps whose keys become object keys are walked a whole entry per
 * step with a fast path for fixstr keys: a third fewer steps on typical
 * messages.
 */
export class MsgpackScanner {
  private readonly maxDepth: number;
  private readonly objectKeys: boolean;
  // Per enclosing container: items (or, for keyed maps, entries) still to
  // read, and whether it is a keyed map. Counts never exceed the input
  // length (checked when a container opens), so Int32Array holds them.
  private readonly counts: Int32Array;
  private readonly keyed: Uint8Array;

  constructor(settings: ScannerSettings) {
    this.maxDepth = settings.maxDepth;
    this.objectKeys = settings.objectKeys;
    this.counts = new Int32Array(settings.maxDepth + 1);
    this.keyed = new Uint8Array(settings.maxDepth + 1);
  }

  /**
   * Throws `CodecError` unless `b` holds exactly one acceptable MessagePack
   * value. Returns whether it holds a 64-bit integer beyond ±2^53 (one that a
   * number cannot represent exactly), so the caller can pick a decoder that
   * does not pay for bigints when none are needed.
   */
  scan(b: Uint8Array): boolean {
    return this.walk(b, 0, b.length);
  }

  /**
   * {@link scan} of `b[start, end)` without a view of it. Error messages
   * count bytes from `start`, as if the range had been passed on its own.
   */
  scanRange(b: Uint8Array, start: number, end: number): boolean {
    try {
      return this.walk(b, start, end);
    } catch {
      // Rare: walk the range again as its own view, for positions relative to it.
      return this.walk(b.subarray(start, end), 0, end - start);
    }
  }

  private walk(b: Uint8Array, start: number, end: number): boolean {
    const maxDepth = this.maxDepth;
    const objectKeys = this.objectKeys;
    const counts = this.counts;
    const keyed = this.keyed;
    let pos = start;
    let depth = 0;
    let remaining = 1;
    let inKeyedMap = false;
    let wide = false;
    for (;;) {
      if (remaining === 0) {
        if (depth === 0) break;
        depth--;
        remaining = counts[depth]!;
        inKeyedMap = keyed[depth] === 1;
        continue;
      }
      // Past `end`, typed-array reads give undefined, which bitwise operators
      // turn into 0: lengths read there are garbage but finite, and this
      // check (or the one after the loop) reports the truncation.
      if (inKeyedMap) {
        remaining--;
        if (pos >= end) throw truncated(pos + 1, end);
        const k = b[pos]!;
        if (k >= 0xa0 && k <= 0xbf) {
          pos += k - 0x9f;
        } else {
          if ((k === 0xcf || k === 0xd3) && isWide(b, pos + 1, k === 0xd3)) wide = true;
          pos = skipObjectKey(b, pos, end);
        }
      } else {
        // A run of fixed-size items (numbers in an array, mostly) in a tight loop.
        // `!(size > 0)` also stops at a read past the end (undefined).
        while (remaining > 0) {
          const size = FIXED_SIZE[b[pos]!]!;
          if (!(size > 0)) break;
          pos += size;
          remaining--;
        }
        if (remaining === 0) continue;
        remaining--;
      }
      if (pos >= end) throw truncated(pos + 1, end);
      const t = b[pos]!;
      const size = FIXED_SIZE[t]!;
      if (size > 0) {
        pos += size;
        continue;
      }
      const at = pos++;
      let length: number;
      let isMap: boolean;
      if (t <= 0x8f) {
        isMap = true;
        length = t - 0x80;
      } else if (t <= 0x9f) {
        isMap = false;
        length = t - 0x90;
      } else {
        switch (t) {
          case 0xc1:
            throw neverUsed(at);
          case 0xcf: // uint 64
          case 0xd3: // int 64
            if (isWide(b, pos, t === 0xd3)) wide = true;
            pos += 8;
            continue;
          case 0xc4: // bin 8
          case 0xd9: // str 8
            // `| 0`: a read past the end must give 0, not NaN (see above).
            pos += 1 + (b[pos]! | 0);
            continue;
          case 0xc5: // bin 16
          case 0xda: // str 16
            pos += 2 + ((b[pos]! << 8) | b[pos + 1]!);
            continue;
          case 0xc6: // bin 32
          case 0xdb: // str 32
            pos += 4 + readUint32(b, pos);
            continue;
          case 0xc7: // ext 8
          case 0xc8: // ext 16
          case 0xc9: // ext 32
          case 0xd4: // fixext 1
          case 0xd5: // fixext 2
          case 0xd6: // fixext 4
          case 0xd7: // fixext 8
          case 0xd8: // fixext 16
            pos = checkExtension(b, at, end);
            continue;
          case 0xdc: // array 16
          case 0xde: // map 16
            isMap = t === 0xde;
            length = (b[pos]! << 8) | b[pos + 1]!;
            pos += 2;
            break;
          default: // 0xdd array 32, 0xdf map 32
            isMap = t === 0xdf;
            length = readUint32(b, pos);
            pos += 4;
            break;
        }
      }
      if (depth === maxDepth) throw tooDeep(maxDepth, at);
      // Each item takes at least one byte: a longer count can never be satisfied.
      const items = isMap ? length * 2 : length;
      if (items > end - pos) throw truncated(pos + items, end);
      counts[depth] = remaining;
      keyed[depth] = inKeyedMap ? 1 : 0;
      depth++;
      inKeyedMap = isMap && objectKeys;
      remaining = inKeyedMap ? length : items;
    }
    if (pos > end) throw truncated(pos, end);
    if (pos < end) {
      throw new CodecError(
        'MALFORMED',
        `${end - pos} trailing bytes after the value (it ends at byte ${pos} of ${end})`,
      );
    }
    return wide;
  }
}

/** Whether the 64-bit integer at `at` lies outside ±2^53. */
function isWide(b: Uint8Array, at: number, signed: boolean): boolean {
  // The value is high * 2^32 + low, with low in [0, 2^32).
  const high = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  if (signed && high < 0) return high < -0x20_0000;
  const unsignedHigh = high >>> 0;
  return unsignedHigh > 0x20_0000 || (unsignedHigh === 0x20_0000 && readUint32(b, at + 4) !== 0);
}

/** Skips a map key that must become an object key (a scalar), or throws. */
function skipObjectKey(b: Uint8Array, pos: number, end: number): number {
  const t = b[pos]!;
  const size = FIXED_SIZE[t]!;
  if (size > 0) return pos + size;
  switch (t) {
    case 0xd9:
      return pos + 2 + (b[pos + 1]! | 0);
    case 0xda:
      return pos + 3 + ((b[pos + 1]! << 8) | b[pos + 2]!);
    case 0xdb:
      return pos + 5 + readUint32(b, pos + 1);
    case 0xcf:
    case 0xd3:
      return pos + 9;
    case 0xc1:
      throw neverUsed(pos);
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      // An unsupported or broken extension is reported as such; a valid timestamp is a bad key.
      checkExtension(b, pos, end);
      throw badKey(t, pos);
    default:
      throw badKey(t, pos);
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Checks the extension value whose type byte (0xc7-0xc9, 0xd4-0xd8) is at `at`; returns the position after it. */
function checkExtension(b: Uint8Array, at: number, end: number): number {
  const t = b[at]!;
  let length: number;
  let typeAt: number;
  if (t >= 0xd4) {
    length = 1 << (t - 0xd4); // fixext 1, 2, 4, 8, 16
    typeAt = at + 1;
  } else if (t === 0xc7) {
    length = b[at + 1]!;
    typeAt = at + 2;
  } else if (t === 0xc8) {
    length = (b[at + 1]! << 8) | b[at + 2]!;
    typeAt = at + 3;
  } else {
    length = readUint32(b, at + 1);
    typeAt = at + 5;
  }
  if (typeAt >= end) throw truncated(typeAt + 1, end);
  const type = b[typeAt]!;
  if (type !== TIMESTAMP) throw unsupportedExtension(type, typeAt);
  const data = typeAt + 1;
  const next = data + length;
  if (next > end) throw truncated(next, end);
  if (length === 4) return next;
  if (length === 8) {
    const nanoseconds =
      ((b[data]! << 22) | (b[data + 1]! << 14) | (b[data + 2]! << 6) | (b[data + 3]! >> 2)) >>> 0;
    if (nanoseconds > MAX_NANOSECONDS) throw badNanoseconds(at);
    return next;
  }
  if (length === 12) {
    const nanoseconds = readUint32(b, data);
    if (nanoseconds > MAX_NANOSECONDS) throw badNanoseconds(at);
    const high = (b[data + 4]! << 24) | (b[data + 5]! << 16) | (b[data + 6]! << 8) | b[data + 7]!;
    // The same arithmetic msgpackr uses to build the Date.
    const ms = nanoseconds / 1e6 + (high * TWO_32 + readUint32(b, data + 8)) * 1000;
    if (!(Math.abs(ms) <= MAX_DATE_MS)) {
      throw new CodecError(
        'UNSUPPORTED_TYPE',
        `timestamp at byte ${at} is outside the range of a JavaScript Date`,
      );
    }
    return next;
  }
  throw new CodecError(
    'MALFORMED',
    `timestamp at byte ${at} has ${length} data bytes (4, 8 or 12 are defined)`,
  );
}

function unsupportedExtension(type: number, typeAt: number): CodecError {
  const signed = type > 127 ? type - 256 : type;
  return new CodecError(
    'UNSUPPORTED_EXTENSION',
    `extension type ${signed} (0x${type.toString(16).padStart(2, '0')}) at byte ${typeAt} is not supported (only the timestamp, type -1)`,
  );
}

function truncated(needed: number, end: number): CodecError {
  return new CodecError(
    'MALFORMED',
    `truncated: the value needs at least ${needed} bytes, the input has ${end}`,
  );
}

function tooDeep(maxDepth: number, at: number): CodecError {
  return new CodecError(
    'TOO_DEEP',
    `arrays and maps nest deeper than maxDepth (${maxDepth}) at byte ${at}`,
  );
}

function neverUsed(at: number): CodecError {
  return new CodecError('MALFORMED', `byte 0xc1 (never used in MessagePack) at byte ${at}`);
}

function badKey(t: number, at: number): CodecError {
  return new CodecError(
    'UNSUPPORTED_TYPE',
    `map key at byte ${at} (type byte 0x${t.toString(16)}) cannot be an object key; decode maps as Map to accept it`,
  );
}

function badNanoseconds(at: number): CodecError {
  return new CodecError('MALFORMED', `timestamp at byte ${at} has nanoseconds above 999999999`);
}
