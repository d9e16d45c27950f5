import { Unpackr } from 'msgpackr';
import type { Codec } from './codec.js';
import { MsgpackEncoder } from './encoder.js';
import { CodecError } from './errors.js';
import { createFastDecoder } from './fast-decoder.js';
import { MsgpackScanner } from './scanner.js';

/** Options of {@link createMsgpackCodec}. Every one has a safe default. */
export interface MsgpackCodecOptions {
  /**
   * Longest input `decode` accepts and longest output `encode` produces, in
   * bytes. A longer input is refused before any parsing; an encoding that
   * would be longer fails as soon as that is known. Set it to the transport's
   * per-message limit. An integer from 1 to 2^31 - 1.
   * @default 16777216 (16 MiB)
   */
  readonly maxBytes?: number;
  /**
   * Deepest nesting of arrays and maps, both ways: a top-level array is depth 1,
   * an array inside it depth 2. On encode, `Map`, `Set`, class instances and
   * plain objects each count as a level (and so does each `toJSON()` step), so
   * cyclic values fail fast with `TOO_DEEP`. An integer from 1 to 1000.
   * @default 64
   */
  readonly maxDepth?: number;
  /**
   * How `decode` returns integers that do not fit a JavaScript number exactly.
   * - `'bigint'`: integers with |n| ≤ 2^53 become numbers (exact), larger ones
   *   (only 64-bit encodings can hold them) become bigints. Lossless.
   * - `'number'`: always numbers; integers beyond 2^53 are rounded to the
   *   nearest double (lossy, but the type is always `number`).
   * - `'string'`: integers with |n| ≤ 2^53 become numbers, larger ones their
   *   decimal string (`"18446744073709551615"`). Lossless and JSON-friendly:
   *   for 64-bit ids from Rust or Java peers that end up in JSON or logs.
   *   Map keys too, in `maps: 'map'` mode.
   *
   * `encode` is not affected: safe integers are written in the smallest
   * integer format, bigints in the smallest one that holds them (up to
   * int64/uint64; beyond that `UNSUPPORTED_TYPE`).
   * @default 'bigint'
   */
  readonly int64?: 'bigint' | 'number' | 'string';
  /**
   * What `decode` turns a MessagePack map into.
   * - `'object'`: a plain object (prototype `Object.prototype`). Keys that are
   *   numbers, booleans or nil become their string form (`1` → `"1"`); a key
   *   that is an array, map, binary or timestamp fails with
   *   `UNSUPPORTED_TYPE`. The key `__proto__` arrives as `__proto_` (msgpackr
   *   renames it, so no prototype can be replaced).
   * - `'map'`: a `Map`, keys of any type kept as decoded.
   * @default 'object'
   */
  readonly maps?: 'object' | 'map';
  /**
   * Whether binary values (`bin`) are copied out of the input. `false` returns
   * views into the input bytes: no copy, but they change if the caller reuses
   * the input buffer, and each one keeps the whole input alive.
   * @default true
   */
  readonly copyBinary?: boolean;
  /**
   * Whether `encode` leaves out map entries whose value is `undefined`: the
   * properties of plain objects and class instances (as `JSON.stringify`
   * does) and the entries of a `Map`. The map header counts the entries
   * written. This is what JSON, gRPC and a schema's optional field expect:
   * `{ filter: undefined }` arrives as `{}`, which zod's `.optional()`
   * accepts. With `false` they are written as nil and decode as `null`.
   * `undefined` at the top level, as an array element or in a `Set` is
   * always nil: arrays keep their positions.
   * @default true
   */
  readonly omitUndefined?: boolean;
}

/** A {@link Codec} for MessagePack, with the options it was created with. */
export interface MsgpackCodec extends Codec {
  /** The options in effect, defaults filled in. */
  readonly options: Readonly<Required<MsgpackCodecOptions>>;
  /** See {@link Codec.decodeSlice}. */
  decodeSlice(bytes: Uint8Array, start: number, end: number): unknown;
}

/** Default of {@link MsgpackCodecOptions.maxBytes}: 16 MiB. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Default of {@link MsgpackCodecOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 64;
const MAX_MAX_BYTES = 0x7fff_ffff;
// Largest input buffer whose view decode keeps for the next message.
const MAX_CACHED_BUFFER = 1024 * 1024;
// Within this, encode and decode (both recursive) stay far from the default
// JavaScript stack limit; past it a stack overflow would decide, not the option.
const MAX_MAX_DEPTH = 1_000;

/**
 * Creates a MessagePack codec: standard MessagePack only (interoperable with
 * rmp-serde and msgpack-java), safe to point at untrusted input.
 *
 * `encode` writes the standard format only (no msgpackr records or
 * extensions; `Date` as the timestamp extension). `decode` first checks the
 * whole structure (size, depth, extension types, exact end) and only then
 * lets msgpackr build the value; it throws `CodecError` and nothing else.
 * Each codec has its own state: it never changes msgpackr's global settings,
 * and other users of msgpackr cannot change its behaviour.
 *
 * @example
 * const codec = createMsgpackCodec({ maxBytes: 1 << 20 });
 * const bytes = codec.encode({ name: 'ada', at: new Date() });
 * const value = codec.decode(bytes);
 */
export function createMsgpackCodec(options: MsgpackCodecOptions = {}): MsgpackCodec {
  return buildMsgpackCodec(options, true);
}

/**
 * {@link createMsgpackCodec}, optionally without the one-pass decoder (so
 * tests can compare the two decoding paths). Not part of the public API.
 */
export function buildMsgpackCodec(options: MsgpackCodecOptions, fastPath: boolean): MsgpackCodec {
  const resolved = resolveOptions(options);
  const encoder = new MsgpackEncoder({
    maxBytes: resolved.maxBytes,
    maxDepth: resolved.maxDepth,
    omitUndefined: resolved.omitUndefined,
  });
  const scanner = new MsgpackScanner({
    maxDepth: resolved.maxDepth,
    objectKeys: resolved.maps === 'object',
  });
  const unpackrFor = (int64AsType: 'number' | 'auto'): Unpackr =>
    new Unpackr({
      useRecords: false,
      mapsAsObjects: resolved.maps === 'object',
      // msgpackr's typings lack 'auto': "a number when exact (|n| <= 2^53), else a bigint".
      int64AsType: int64AsType as 'number',
      copyBuffers: resolved.copyBinary,
      structuredClone: false,
      moreTypes: false,
    });
  // msgpackr's 'auto' builds a BigInt for every 64-bit integer, even one it
  // then returns as a number: 2.5x slower on a message of timestamps in ms.
  // When the scan found no integer beyond ±2^53, 'number' gives the same
  // values exactly, without the BigInts.
  const narrow = unpackrFor('number');
  const wide = resolved.int64 === 'number' ? narrow : unpackrFor('auto');
  const asStrings = resolved.int64 === 'string';
  const maxBytes = resolved.maxBytes;
  // msgpackr reads through a DataView that it caches as a `dataView` property
  // on its source. We hand it our own view of the whole underlying buffer,
  // kept while messages keep arriving in that buffer (views of one received
  // frame, Node's pooled Buffers): one DataView per buffer instead of one per
  // message, and the caller's object is never modified. Binaries come out as
  // plain Uint8Array (a Buffer's slice() would not copy).
  let lastBuffer: ArrayBufferLike | undefined;
  let lastViews: Views | undefined;
  const viewsOf = (buffer: ArrayBufferLike): Views => {
    if (buffer === lastBuffer) return lastViews!;
    const u8 = new Uint8Array(buffer);
    const views: Views = {
      u8,
      // Text and number views of the same memory, for the fast decoder
      // (none for resizable memory: that always takes the general path).
      text: isResizable(buffer) ? undefined : Buffer.from(buffer as ArrayBuffer),
      data: isResizable(buffer) ? undefined : new DataView(buffer as ArrayBuffer),
    };
    // Keeping a buffer alive until the next decode is fine for frames, not for huge inputs.
    if (buffer.byteLength <= MAX_CACHED_BUFFER && views.text !== undefined) {
      lastBuffer = buffer;
      lastViews = views;
    }
    return views;
  };
  const fast = fastPath ? createFastDecoder(resolved) : undefined;
  // Decodes buffer[from, to): the one-pass decoder when it can, otherwise
  // (and for every error) the scanner and msgpackr, which decide the result.
  const decodeRange = (buffer: ArrayBufferLike, from: number, to: number): unknown => {
    const views = viewsOf(buffer);
    if (fast !== undefined && views.text !== undefined) {
      try {
        return fast(views.u8, views.text, views.data!, from, to);
      } catch {
        // FALLBACK (or anything unexpected): the general path below decides.
      }
    }
    const hasWide = scanner.scanRange(views.u8, from, to);
    let value: unknown;
    try {
      value = (hasWide ? wide : narrow).unpack(views.u8, { start: from, end: to });
    } catch (error) {
      throw fromMsgpackr(error);
    }
    // 'string': msgpackr's own 'string' mode would turn every 64-bit integer
    // into a string, small ones too; convert only the bigints of 'auto'.
    return hasWide && asStrings ? bigintsToStrings(value) : value;
  };

  const codec: MsgpackCodec = {
    options: resolved,
    encode(value: unknown): Uint8Array {
      return encoder.encode(value);
    },
    decode(input: Uint8Array): unknown {
      if (!(input instanceof Uint8Array)) {
        throw new CodecError('MALFORMED', `decode expects a Uint8Array, got ${describe(input)}`);
      }
      if (input.length > maxBytes) {
        throw new CodecError(
          'TOO_LARGE',
          `input is ${input.length} bytes, more than maxBytes (${maxBytes})`,
        );
      }
      // Another thread could change shared memory between the check and the
      // decoding: check and decode a private copy instead.
      const bytes = input.buffer instanceof SharedArrayBuffer ? input.slice() : input;
      return decodeRange(bytes.buffer, bytes.byteOffset, bytes.byteOffset + bytes.length);
    },
    decodeSlice(input: Uint8Array, start: number, end: number): unknown {
      if (!(input instanceof Uint8Array)) {
        throw new CodecError('MALFORMED', `decode expects a Uint8Array, got ${describe(input)}`);
      }
      if (
        !(
          Number.isInteger(start) &&
          Number.isInteger(end) &&
          0 <= start &&
          start <= end &&
          end <= input.length
        )
      ) {
        throw new RangeError(
          `range [${start}, ${end}) is not within the ${input.length} input bytes`,
        );
      }
      if (input.buffer instanceof SharedArrayBuffer)
        return codec.decode(input.subarray(start, end));
      if (end - start > maxBytes) {
        throw new CodecError(
          'TOO_LARGE',
          `input is ${end - start} bytes, more than maxBytes (${maxBytes})`,
        );
      }
      return decodeRange(input.buffer, input.byteOffset + start, input.byteOffset + end);
    },
  };
  return codec;
}

/**
 * Replaces every bigint in a decoded value (not deeper than the codec's
 * `maxDepth`, which the scan enforced) by its decimal string, in place;
 * `Map` keys included.
 */
function bigintsToStrings(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = bigintsToStrings(value[i]);
    return value;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value) out.set(bigintsToStrings(k), bigintsToStrings(v));
    return out;
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = bigintsToStrings(record[key]);
  }
  return value;
}

/** Views of one input buffer, kept while messages keep arriving in it. */
interface Views {
  readonly u8: Uint8Array;
  readonly text: Buffer | undefined;
  readonly data: DataView | undefined;
}

function isResizable(buffer: ArrayBufferLike): boolean {
  const b = buffer as { resizable?: boolean; growable?: boolean };
  return b.resizable === true || b.growable === true;
}

function resolveOptions(options: MsgpackCodecOptions): Required<MsgpackCodecOptions> {
  const resolved: Required<MsgpackCodecOptions> = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    int64: options.int64 ?? 'bigint',
    maps: options.maps ?? 'object',
    copyBinary: options.copyBinary ?? true,
    omitUndefined: options.omitUndefined ?? true,
  };
  checkInteger('maxBytes', resolved.maxBytes, 1, MAX_MAX_BYTES);
  checkInteger('maxDepth', resolved.maxDepth, 1, MAX_MAX_DEPTH);
  checkOneOf('int64', resolved.int64, ['bigint', 'number', 'string']);
  checkOneOf('maps', resolved.maps, ['object', 'map']);
  checkOneOf('copyBinary', resolved.copyBinary, [true, false]);
  checkOneOf('omitUndefined', resolved.omitUndefined, [true, false]);
  return Object.freeze(resolved);
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

function checkOneOf(name: string, value: unknown, allowed: readonly unknown[]): void {
  if (!allowed.includes(value)) {
    throw new RangeError(
      `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${String(value)}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/** Maps an error msgpackr threw to a `CodecError` (exported for tests only). */
export function fromMsgpackr(error: unknown): CodecError {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new CodecError('TOO_DEEP', 'input nests too deeply for the JavaScript stack', {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new CodecError('MALFORMED', `msgpackr could not decode the input: ${reason}`, {
    cause: error,
  });
}
