import { afterAll, describe, expect, it } from 'vitest';
import { createFastDecoder, FALLBACK, type FastDecode } from '../src/fast-decoder.js';
import {
  CodecError,
  type CodecErrorCode,
  createMsgpackCodec,
  type MsgpackCodec,
} from '../src/index.js';
import { buildMsgpackCodec } from '../src/msgpack-codec.js';
import { bytesOf, loadVectors, toHex } from './helpers/vectors.js';

// Deterministic: a failure names its seed and input, and reruns the same way.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codecs: readonly MsgpackCodec[] = [
  createMsgpackCodec(),
  createMsgpackCodec({ maps: 'map', int64: 'number', copyBinary: false }),
  createMsgpackCodec({ maxDepth: 8, maxBytes: 4096, int64: 'string' }),
];
// The same codecs without the one-pass decoder: the scanner and msgpackr
// alone, which the fast path must agree with on every input. And the
// one-pass decoder alone, with the same settings.
const twins = new WeakMap<MsgpackCodec, { general: MsgpackCodec; fast: FastDecode }>();
function twinsOf(codec: MsgpackCodec): { general: MsgpackCodec; fast: FastDecode } {
  let t = twins.get(codec);
  if (t === undefined) {
    t = {
      general: buildMsgpackCodec(codec.options, false),
      fast: createFastDecoder(codec.options),
    };
    twins.set(codec, t);
  }
  return t;
}
/** Inputs the one-pass decoder took on its own (no fallback). */
let fastTaken = 0;

let inputs = 0;
const rejectedByMsgpackr: string[] = [];
const outcomes = new Map<CodecErrorCode | 'value', number>();

function normalize(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [normalize(k), normalize(v)]));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
}

/** Decodes with `codec`: the outcome must be a value or a CodecError, nothing else. */
function check(bytes: Uint8Array, codec: MsgpackCodec = codecs[0]!): unknown {
  inputs++;
  const outcome = decodeOnce(bytes, codec);
  // The general path alone must give the same value, or the same error.
  let general: unknown;
  try {
    general = twinsOf(codec).general.decode(bytes);
  } catch (error) {
    general = error;
  }
  if (outcome instanceof CodecError) {
    expect([(general as CodecError).code, (general as CodecError).message]).toEqual([
      outcome.code,
      outcome.message,
    ]);
  } else {
    expect(normalize(outcome)).toEqual(normalize(general));
  }
  // When the one-pass decoder takes an input on its own, that is the value.
  try {
    const fast = twinsOf(codec).fast(
      bytes,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
      new DataView(bytes.buffer, bytes.byteOffset, bytes.length),
      0,
      bytes.length,
    );
    fastTaken++;
    expect(outcome).not.toBeInstanceOf(CodecError);
    expect(normalize(fast)).toEqual(normalize(outcome));
  } catch (error) {
    if (error !== FALLBACK) throw error;
  }
  // Every other input again through decodeSlice, inside a frame with bytes
  // on both sides (0xc1: never valid, so a read past the range shows): the
  // same value or the same error, message included.
  if (inputs % 2 === 0) {
    const framed = new Uint8Array(bytes.length + 7).fill(0xc1);
    framed.set(bytes, 3);
    let sliced: unknown;
    try {
      sliced = codec.decodeSlice(framed, 3, 3 + bytes.length);
    } catch (error) {
      sliced = error;
    }
    if (outcome instanceof CodecError) {
      expect(sliced).toBeInstanceOf(CodecError);
      expect([(sliced as CodecError).code, (sliced as CodecError).message]).toEqual([
        outcome.code,
        outcome.message,
      ]);
    } else {
      expect(normalize(sliced)).toEqual(normalize(outcome));
    }
  }
  return outcome;
}

function decodeOnce(bytes: Uint8Array, codec: MsgpackCodec): unknown {
  let value: unknown;
  try {
    value = codec.decode(bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) {
      throw new Error(`decode threw ${String(error)} for input ${toHex(bytes).slice(0, 200)}`);
    }
    outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
    // The scanner is meant to refuse everything msgpackr would: an error with a
    // msgpackr cause means some input got past it.
    if (error.cause !== undefined) rejectedByMsgpackr.push(toHex(bytes).slice(0, 200));
    return error;
  }
  outcomes.set('value', (outcomes.get('value') ?? 0) + 1);
  // Whatever decodes must encode again, to the same value: nothing half-built escapes.
  if (inputs % 7 === 0) {
    expect(normalize(codec.decode(codec.encode(value)))).toEqual(normalize(value));
  }
  return value;
}

function seeds(): Uint8Array[] {
  const file = loadVectors();
  const small = file.vectors.filter((v) => typeof v.hex === 'string').map((v) => bytesOf(v.hex));
  const codec = codecs[0]!;
  const extra = [
    { id: 7, name: 'ada', tags: ['a', 'b'], nested: { deep: [1, [2, [3, { x: null }]]] } },
    { at: new Date(1_700_000_000_123), bin: new Uint8Array([1, 2, 3]), big: 2n ** 60n, f: 0.5 },
    [1.5, -1, 300, -300, 70_000, -70_000, 2 ** 40, -(2 ** 40), 'x'.repeat(40), 'é'.repeat(100)],
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, i % 2 ? 'v' : [i]])),
    Array.from({ length: 20 }, (_, i) => ({ i })),
  ].map((v) => Uint8Array.from(codec.encode(v)));
  return [...small, ...extra];
}

const SEEDS = seeds();
const random = mulberry32(0x5eed);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

describe('fuzzing decode: every input ends in a value or a CodecError', () => {
  afterAll(() => {
    console.info(
      `fuzz: ${inputs} inputs (${fastTaken} decoded by the one-pass decoder alone)`,
      Object.fromEntries(outcomes),
    );
    expect(fastTaken).toBeGreaterThan(10_000);
    // The whole run must have exercised both outcomes and every defence.
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    expect(rejectedByMsgpackr).toEqual([]);
    for (const code of ['value', 'MALFORMED', 'TOO_DEEP', 'UNSUPPORTED_EXTENSION'] as const) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it('random bytes (50,000 inputs of 0-64 bytes)', () => {
    for (let i = 0; i < 50_000; i++) {
      const bytes = new Uint8Array(int(65));
      for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
      check(bytes, codecs[i % codecs.length]);
    }
  });

  it('random bytes biased to structure (20,000 inputs)', () => {
    // Mostly container, string and extension headers: gets deeper than uniform noise.
    const headers = [
      0x81, 0x82, 0x91, 0x92, 0x9f, 0xa1, 0xa3, 0xc4, 0xc7, 0xd4, 0xd6, 0xd7, 0xdc, 0xde, 0xff,
    ];
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(1 + int(48));
      for (let j = 0; j < bytes.length; j++) bytes[j] = random() < 0.6 ? pick(headers) : int(256);
      check(bytes, codecs[i % codecs.length]);
    }
  });

  it('byte flips of valid encodings (60,000 inputs)', () => {
    for (let i = 0; i < 60_000; i++) {
      const bytes = Uint8Array.from(pick(SEEDS));
      const flips = 1 + int(3);
      for (let f = 0; f < flips && bytes.length > 0; f++) bytes[int(bytes.length)] = int(256);
      check(bytes, codecs[i % codecs.length]);
    }
  });

  it('truncations of valid encodings (every prefix of every seed)', () => {
    for (const seed of SEEDS) {
      for (let end = 0; end < seed.length; end++) {
        // MessagePack is prefix-free: a proper prefix of one value is never a value.
        expect(check(seed.subarray(0, end))).toBeInstanceOf(CodecError);
      }
    }
  });

  it('length fields inflated, up to 4 GiB (20,000 inputs)', () => {
    const headers = [0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf];
    const lengths = [
      [0xff],
      [0xff, 0xff],
      [0xff, 0xff, 0xff, 0xff],
      [0x7f, 0xff, 0xff, 0xff],
      [0x00, 0x01, 0x00, 0x00],
    ];
    for (let i = 0; i < 20_000; i++) {
      const seed = pick(SEEDS);
      const at = int(seed.length + 1);
      const patch = [pick(headers), ...pick(lengths)];
      const bytes = new Uint8Array(seed.length + patch.length);
      bytes.set(seed.subarray(0, at), 0);
      bytes.set(patch, at);
      bytes.set(seed.subarray(at), at + patch.length);
      check(bytes, codecs[i % codecs.length]);
    }
  });

  it('insertions, deletions and splices (15,000 inputs)', () => {
    for (let i = 0; i < 15_000; i++) {
      const a = pick(SEEDS);
      const b = pick(SEEDS);
      const cut = int(a.length + 1);
      const bytes =
        i % 3 === 0
          ? Uint8Array.from([...a.subarray(0, cut), int(256), ...a.subarray(cut)])
          : i % 3 === 1
            ? Uint8Array.from([...a.subarray(0, cut), ...a.subarray(cut + 1)])
            : Uint8Array.from([...a.subarray(0, cut), ...b.subarray(int(b.length + 1))]);
      check(bytes, codecs[i % codecs.length]);
    }
  });

  it('deep nesting around maxDepth, whole, truncated and flipped (10,000 inputs)', () => {
    const limits = [codecs[0]!, codecs[2]!];
    for (let i = 0; i < 10_000; i++) {
      const depth = 1 + int(80);
      const parts: number[] = [];
      for (let d = 0; d < depth; d++)
        parts.push(
          ...pick([[0x91], [0x81, 0xa1, 0x6b], [0xdc, 0x00, 0x01], [0xde, 0x00, 0x01, 0xa0]]),
        );
      parts.push(pick([0x01, 0xc0, 0xa0, 0x90, 0x80]));
      const bytes = Uint8Array.from(parts);
      const mutated =
        i % 3 === 0
          ? bytes
          : i % 3 === 1
            ? bytes.subarray(0, int(bytes.length))
            : bytes.map((b) => (random() < 0.02 ? int(256) : b));
      const codec = pick(limits);
      const outcome = check(mutated, codec);
      if (mutated === bytes && depth > codec.options.maxDepth) {
        expect((outcome as CodecError).code).toBe('TOO_DEEP');
      }
    }
  });

  it('every extension type in every extension format is refused, except timestamps', () => {
    for (let type = 0; type < 256; type++) {
      for (const [header, length] of [
        [[0xd4], 1],
        [[0xd5], 2],
        [[0xd6], 4],
        [[0xd7], 8],
        [[0xd8], 16],
        [[0xc7, 0x03], 3],
        [[0xc8, 0x00, 0x05], 5],
        [[0xc9, 0x00, 0x00, 0x00, 0x0c], 12],
      ] as const) {
        const bytes = Uint8Array.from([...header, type, ...new Uint8Array(length)]);
        for (const wrapped of [
          bytes,
          Uint8Array.from([0x92, 0x01, ...bytes]),
          Uint8Array.from([0x81, 0xa1, 0x6b, ...bytes]),
        ]) {
          const outcome = check(wrapped);
          if (type !== 0xff) {
            expect((outcome as CodecError).code).toBe('UNSUPPORTED_EXTENSION');
          } else if (length === 4 || length === 8 || length === 12) {
            expect(outcome).not.toBeInstanceOf(CodecError);
          } else {
            expect((outcome as CodecError).code).toBe('MALFORMED');
          }
        }
      }
    }
  });
});

describe('hostile inputs', () => {
  const codec = codecs[0]!;
  const codeOf = (bytes: Uint8Array, c: MsgpackCodec = codec): string => {
    const outcome = check(bytes, c);
    return outcome instanceof CodecError ? outcome.code : 'value';
  };

  it('declared 4 GiB lengths fail at once, without allocating', () => {
    for (const header of [0xc6, 0xc9, 0xdb, 0xdd, 0xdf]) {
      const bytes = Uint8Array.from([header, 0xff, 0xff, 0xff, 0xff, 0x42, 0x00]);
      expect(codeOf(bytes)).toBe(header === 0xc9 ? 'UNSUPPORTED_EXTENSION' : 'MALFORMED');
    }
    // With the timestamp type, ext 32 gets as far as the length check.
    expect(codeOf(Uint8Array.from([0xc9, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe('MALFORMED');
  });

  it('nesting a million levels deep is refused with TOO_DEEP', () => {
    const arrays = new Uint8Array(1_000_001).fill(0x91);
    arrays[1_000_000] = 0xc0;
    expect(codeOf(arrays)).toBe('TOO_DEEP');
    const maps = new Uint8Array(2_000_001);
    for (let i = 0; i < 2_000_000; i += 2) maps.set([0x81, 0xa0], i);
    maps[2_000_000] = 0xc0;
    expect(codeOf(maps)).toBe('TOO_DEEP');
  });

  it('the deepest nesting allowed (maxDepth 1000) decodes', () => {
    const deep = createMsgpackCodec({ maxDepth: 1000 });
    const bytes = new Uint8Array(1001).fill(0x91);
    bytes[1000] = 0xc0;
    expect(codeOf(bytes, deep)).toBe('value');
    expect(codeOf(Uint8Array.from([0x91, ...bytes]), deep)).toBe('TOO_DEEP');
  });

  it('msgpackr records cannot be defined or used', () => {
    // Record definition: fixext1 0x72 with id 0x40, keys ['a'], then a value.
    expect(codeOf(Uint8Array.from([0xd4, 0x72, 0x40, 0x91, 0xa1, 0x61, 0x01]))).toBe(
      'UNSUPPORTED_EXTENSION',
    );
    // Two-byte record definition (fixext2).
    expect(codeOf(Uint8Array.from([0xd5, 0x72, 0x60, 0x00, 0x91, 0xa1, 0x61, 0x01]))).toBe(
      'UNSUPPORTED_EXTENSION',
    );
    // A record reference without definition is just a fixint.
    for (let t = 0x40; t <= 0x7f; t++) expect(codec.decode(Uint8Array.of(t))).toBe(t);
  });

  it('a 4 MiB msgpackr BigInt extension is refused without being converted', () => {
    const size = 4 * 1024 * 1024;
    const bytes = new Uint8Array(6 + size).fill(0x7f);
    bytes.set([
      0xc9,
      (size >>> 24) & 0xff,
      (size >>> 16) & 0xff,
      (size >>> 8) & 0xff,
      size & 0xff,
      0x42,
    ]);
    const big = createMsgpackCodec({ maxBytes: 8 * 1024 * 1024 });
    expect(codeOf(bytes, big)).toBe('UNSUPPORTED_EXTENSION');
    expect(codeOf(bytes)).toBe('UNSUPPORTED_EXTENSION');
    // Over maxBytes it is not even scanned.
    expect(codeOf(bytes, createMsgpackCodec({ maxBytes: 1024 }))).toBe('TOO_LARGE');
  });

  it('__proto__ and constructor keys cannot pollute prototypes', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const hostile = codec.encode({
      __proto__: { polluted: true },
      constructor: { prototype: { polluted: true } },
      nested: [{ __proto__: { polluted: true } }],
    });
    // Object literal __proto__ sets the prototype, so encode it as a real key:
    const realKey = codec.encode(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    for (const c of codecs) {
      for (const bytes of [hostile, realKey]) {
        const value = check(bytes, c) as Record<string, unknown>;
        expect(value).not.toBeInstanceOf(CodecError);
        if (!(value instanceof Map)) {
          expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
          expect(value.polluted).toBeUndefined();
        }
      }
    }
    const value = codec.decode(realKey) as Record<string, unknown>;
    expect(value).toEqual({ __proto_: { polluted: true }, a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });

  it('maxBytes + 1 is refused before a single byte is read', () => {
    const small = createMsgpackCodec({ maxBytes: 100 });
    expect(codeOf(new Uint8Array(100).fill(0xc0), small)).toBe('MALFORMED'); // read, trailing bytes
    // A view whose bytes throw when read: TOO_LARGE must come first.
    const trap = new Proxy(new Uint8Array(101), {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) throw new Error('byte read');
        return Reflect.get(target, key) as unknown;
      },
    });
    expect(() => small.decode(trap)).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }) as unknown as Error,
    );
  });

  it('refuses what is not a Uint8Array with a CodecError', () => {
    for (const input of [
      null,
      undefined,
      'c0',
      [0xc0],
      new ArrayBuffer(1),
      new Uint16Array(1),
      {},
    ]) {
      expect(() => codec.decode(input as unknown as Uint8Array)).toThrow(CodecError);
    }
  });
});
