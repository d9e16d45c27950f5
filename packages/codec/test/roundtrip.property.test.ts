import { Encoder as ReferenceEncoder, decode as referenceDecode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, createMsgpackCodec } from '../src/index.js';
import { toHex } from './helpers/vectors.js';

// @msgpack/msgpack is the msgpack.org reference implementation for JavaScript,
// written independently of msgpackr: agreeing with it byte for byte is evidence
// that the wire format is the standard one other languages read and write.
const reference = new ReferenceEncoder();
const codec = createMsgpackCodec();

const INT_BOUNDARIES = [
  0,
  1,
  31,
  32,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  -1,
  -31,
  -32,
  -33,
  -127,
  -128,
  -129,
  -32767,
  -32768,
  -32769,
  -(2 ** 31) + 1,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 32),
  -(2 ** 53) + 1,
];

const integer = fc.oneof(
  fc.constantFrom(...INT_BOUNDARIES),
  fc.integer(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
  fc.maxSafeInteger(),
);
const float = fc.double();
const date = fc.date({ noInvalidDate: true });
// Well-formed Unicode (all planes); lone surrogates are tested on their own.
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const longText = fc.string({ unit: 'grapheme-ascii', minLength: 30, maxLength: 400 });
const bytes = fc.uint8Array({ maxLength: 300 });
const key = text.filter((k) => k !== '__proto__');

/** Values both this codec and the reference encoder write (no bigint, Map, undefined). */
const { standard } = fc.letrec((tie) => ({
  scalar: fc.oneof(
    integer,
    float,
    text,
    longText,
    fc.boolean(),
    fc.constant(null),
    bytes,
    date,
  ) as fc.Arbitrary<unknown>,
  standard: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('scalar'),
    fc.array(tie('standard'), { maxLength: 12 }),
    fc.dictionary(key, tie('standard'), { maxKeys: 12 }),
  ) as fc.Arbitrary<unknown>,
}));

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
const { extended } = fc.letrec((tie) => ({
  extended: fc.oneof(
    { depthSize: 'small' },
    standard,
    int64,
    fc.constant(undefined),
    fc.array(tie('extended'), { maxLength: 8 }),
    fc.dictionary(key, tie('extended'), { maxKeys: 8 }),
  ) as fc.Arbitrary<unknown>,
}));

/** What decode gives back for `value` (default options). */
function expected(value: unknown): unknown {
  if (value === undefined) return null;
  if (Object.is(value, -0)) return 0;
  if (typeof value === 'bigint') {
    return value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value;
  }
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('utf8');
  if (Array.isArray(value)) return value.map(expected);
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  // A map entry whose value is undefined is left out (omitUndefined, the default).
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, expected(v)]),
  );
}

describe('round trip (property-based)', () => {
  it('decode(encode(v)) equals v over the supported value space', () => {
    fc.assert(
      fc.property(extended, (value) => {
        expect(codec.decode(codec.encode(value))).toEqual(expected(value));
      }),
      { numRuns: 700 },
    );
  });

  it('writes the same bytes as the msgpack.org reference encoder', () => {
    fc.assert(
      fc.property(standard, (value) => {
        expect(toHex(codec.encode(value))).toBe(toHex(reference.encode(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('output decodes to the same value with the reference decoder', () => {
    fc.assert(
      fc.property(standard, (value) => {
        // A plain Uint8Array: the reference decoder returns views of its input as binaries.
        const encoded = new Uint8Array(codec.encode(value));
        expect(referenceDecode(encoded)).toEqual(expected(value));
      }),
      { numRuns: 700 },
    );
  });

  it("decodes the reference encoder's output", () => {
    fc.assert(
      fc.property(standard, (value) => {
        expect(codec.decode(reference.encode(value))).toEqual(expected(value));
      }),
      { numRuns: 700 },
    );
  });

  it('round-trips integers at every width boundary exactly, as numbers', () => {
    fc.assert(
      fc.property(integer, (n) => {
        const back = codec.decode(codec.encode(n));
        expect(back).toBe(n === 0 ? 0 : n);
        expect(typeof back).toBe('number');
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips bigints: exact, as bigint beyond 2^53', () => {
    fc.assert(
      fc.property(int64, (n) => {
        const back = codec.decode(codec.encode(n));
        expect(back).toEqual(expected(n));
        expect(BigInt(back as number | bigint)).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces lone surrogates with U+FFFD, like TextEncoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const back = codec.decode(codec.encode(s));
        expect(back).toBe(new TextDecoder().decode(new TextEncoder().encode(s)));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly maxDepth levels of nesting, both ways', () => {
    const deep = createMsgpackCodec({ maxDepth: 100 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.boolean(), (depth, asMap) => {
        let value: unknown = 1;
        for (let i = 0; i < depth; i++) value = asMap ? { k: value } : [value];
        const encoded = deep.encode(value);
        if (depth <= 64) {
          expect(codec.decode(codec.encode(value))).toEqual(value);
        } else {
          expect(() => codec.encode(value)).toThrow(
            expect.objectContaining({ code: 'TOO_DEEP' }) as unknown as Error,
          );
          expect(() => codec.decode(encoded)).toThrow(CodecError);
          expect(() => codec.decode(encoded)).toThrow(/maxDepth \(64\)/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
