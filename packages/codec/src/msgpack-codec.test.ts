import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CodecError, type CodecErrorCode } from './errors.js';
import {
  createMsgpackCodec,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  fromMsgpackr,
} from './msgpack-codec.js';

const codec = createMsgpackCodec();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

function codeOf(action: () => unknown): CodecErrorCode | 'no error' {
  try {
    action();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('createMsgpackCodec options', () => {
  it('fills in and exposes the defaults, frozen', () => {
    expect(codec.options).toEqual({
      maxBytes: 16 * 1024 * 1024,
      maxDepth: 64,
      int64: 'bigint',
      maps: 'object',
      copyBinary: true,
      omitUndefined: true,
    });
    expect(DEFAULT_MAX_BYTES).toBe(16_777_216);
    expect(DEFAULT_MAX_DEPTH).toBe(64);
    expect(Object.isFrozen(codec.options)).toBe(true);
  });

  it('refuses invalid options with a RangeError naming the option', () => {
    const bad: [object, RegExp][] = [
      [{ maxBytes: 0 }, /maxBytes/],
      [{ maxBytes: 1.5 }, /maxBytes/],
      [{ maxBytes: 2 ** 31 }, /maxBytes/],
      [{ maxBytes: Number.NaN }, /maxBytes/],
      [{ maxDepth: 0 }, /maxDepth/],
      [{ maxDepth: 1_001 }, /maxDepth/],
      [{ int64: 'text' }, /int64/],
      [{ maps: 'entries' }, /maps/],
      [{ copyBinary: 'yes' }, /copyBinary/],
      [{ omitUndefined: 1 }, /omitUndefined/],
    ];
    for (const [options, name] of bad) {
      expect(() => createMsgpackCodec(options)).toThrow(RangeError);
      expect(() => createMsgpackCodec(options)).toThrow(name);
    }
  });
});

describe('encode: the JavaScript to MessagePack mapping', () => {
  it('leaves out map entries whose value is undefined by default; nil at the top and in arrays', () => {
    expect(hex(codec.encode({ a: undefined }))).toBe('80');
    expect(codec.decode(codec.encode({ a: undefined }))).toEqual({});
    expect(hex(codec.encode({ a: undefined, b: 1 }))).toBe('81a16201');
    expect(hex(codec.encode(new Map([['a', undefined]])))).toBe('80');
    expect(
      hex(
        codec.encode(
          new Map<unknown, unknown>([
            [1, undefined],
            [2, 3],
          ]),
        ),
      ),
    ).toBe('810203');
    // Arrays (and Sets) keep their positions; a top-level undefined is nil.
    expect(hex(codec.encode(undefined))).toBe('c0');
    expect(hex(codec.encode([undefined]))).toBe('91c0');
    expect(hex(codec.encode(new Set([undefined])))).toBe('91c0');
    expect(
      codec.decode(codec.encode({ a: undefined, b: [undefined], c: { d: undefined } })),
    ).toEqual({ b: [null], c: {} });
    // Class instances are maps of their own properties: the same rule.
    class Note {
      text = 'x';
      note: string | undefined = undefined;
    }
    expect(codec.decode(codec.encode(new Note()))).toEqual({ text: 'x' });
  });

  it('counts the entries written in the map header, across the fixmap/map16 boundary', () => {
    // 17 properties, one undefined: 16 written, so a map16 header (de0010), not fixmap.
    const sixteen: Record<string, unknown> = { gone: undefined };
    for (let i = 0; i < 16; i++) sixteen[`k${i}`] = i;
    const bytes = codec.encode(sixteen);
    expect(hex(bytes.subarray(0, 3))).toBe('de0010');
    expect(codec.decode(bytes)).toEqual(
      Object.fromEntries([...Array(16)].map((_, i) => [`k${i}`, i])),
    );
    // 16 properties, one undefined: 15 written, a fixmap (8f) and no shifted body.
    const fifteen: Record<string, unknown> = {};
    for (let i = 0; i < 15; i++) fifteen[`k${i}`] = i;
    fifteen.gone = undefined;
    expect(hex(codec.encode(fifteen).subarray(0, 1))).toBe('8f');
    expect(codec.decode(codec.encode(fifteen))).toEqual(
      Object.fromEntries([...Array(15)].map((_, i) => [`k${i}`, i])),
    );
    // Many, with long values, so the message grows past a slab while the header is patched.
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 70_000; i++) wide[`k${i}`] = i % 2 ? `v${i}`.repeat(3) : undefined;
    const decoded = codec.decode(codec.encode(wide)) as Record<string, unknown>;
    expect(Object.keys(decoded)).toHaveLength(35_000);
    expect(decoded).toEqual(
      Object.fromEntries(Object.entries(wide).filter(([, v]) => v !== undefined)),
    );
    const big = new Map<string, unknown>();
    for (let i = 0; i < 40; i++) big.set(`k${i}`, i % 2 ? i : undefined);
    const fromMap = codec.decode(codec.encode(big));
    expect(fromMap).toEqual(Object.fromEntries([...big].filter(([, v]) => v !== undefined)));
  });

  it('omitUndefined: false writes undefined as nil everywhere', () => {
    const nil = createMsgpackCodec({ omitUndefined: false });
    expect(hex(nil.encode(undefined))).toBe('c0');
    expect(hex(nil.encode([undefined]))).toBe('91c0');
    expect(hex(nil.encode({ a: undefined }))).toBe('81a161c0');
    expect(hex(nil.encode(new Map([['a', undefined]])))).toBe('81a161c0');
    expect(nil.decode(nil.encode({ a: undefined, b: [undefined] }))).toEqual({
      a: null,
      b: [null],
    });
  });

  it('a peer that writes nil for an absent field (rmp-serde Option::None): .nullish() accepts, .optional() does not', () => {
    // What rmp-serde writes for `struct Query { filter: Option<String> }` with None: {"filter": nil}.
    const fromRust = Buffer.from('81a666696c746572c0', 'hex');
    const decoded = codec.decode(fromRust);
    expect(decoded).toEqual({ filter: null });
    expect(z.object({ filter: z.string().nullish() }).safeParse(decoded).success).toBe(true);
    expect(z.object({ filter: z.string().optional() }).safeParse(decoded).success).toBe(false);
    // And the other way round: what this codec writes for an absent field, `.optional()` accepts.
    const fromJs = codec.decode(codec.encode({ filter: undefined }));
    expect(fromJs).toEqual({});
    expect(z.object({ filter: z.string().optional() }).safeParse(fromJs).success).toBe(true);
  });

  it('refuses functions and symbols with UNSUPPORTED_TYPE, wherever they are', () => {
    for (const value of [
      () => 1,
      Symbol('s'),
      { a: { b: () => 1 } },
      [1, Symbol.iterator],
      new Map([['k', () => 1]]),
    ]) {
      expect(codeOf(() => codec.encode(value))).toBe('UNSUPPORTED_TYPE');
    }
    expect(() => codec.encode({ f() {} })).toThrow(/function/);
  });

  it('ignores symbol-keyed and non-enumerable properties, as JSON.stringify does', () => {
    const value = { a: 1, [Symbol('hidden')]: 2 };
    Object.defineProperty(value, 'secret', { value: 3, enumerable: false });
    expect(codec.decode(codec.encode(value))).toEqual({ a: 1 });
  });

  it('never writes inherited properties (a polluted prototype stays out)', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'yes';
    try {
      expect(hex(codec.encode({}))).toBe('80');
      expect(hex(codec.encode({ a: 1 }))).toBe('81a16101');
    } finally {
      delete proto.polluted;
    }
  });

  it('refuses objects that would lose their meaning', () => {
    for (const value of [
      new Error('x'),
      new TypeError('x'),
      /re/g,
      Promise.resolve(1),
      new WeakMap(),
      new WeakSet(),
      Object(1),
      Object('s'),
      Object(true),
      new Date(Number.NaN),
      2n ** 64n,
      -(2n ** 63n) - 1n,
    ]) {
      expect(codeOf(() => codec.encode(value))).toBe('UNSUPPORTED_TYPE');
    }
  });

  it('writes Map as a map, Set as an array, null-prototype objects as maps', () => {
    expect(
      hex(
        codec.encode(
          new Map<unknown, unknown>([
            [1, 'a'],
            ['b', [2]],
          ]),
        ),
      ),
    ).toBe('8201a161a1629102');
    expect(hex(codec.encode(new Set([1, 'a'])))).toBe('9201a161');
    const bare = Object.create(null) as Record<string, unknown>;
    bare.x = 1;
    expect(hex(codec.encode(bare))).toBe('81a17801');
  });

  it('writes a Map or Set that changes while being encoded consistently, or refuses it', () => {
    const growing = new Map<string, unknown>([['a', 1]]);
    growing.set('b', { value: 2 });
    class Adds {
      toJSON(): number {
        growing.set(`k${growing.size}`, 0);
        return 1;
      }
    }
    growing.set('c', new Adds());
    // Entries added during encoding are not written: the header said 3.
    expect(codec.decode(codec.encode(growing))).toEqual({ a: 1, b: { value: 2 }, c: 1 });
    // An entry removed before its turn would leave the header promising too many.
    class Removes {
      toJSON(): number {
        shrinking.delete(3);
        return 0;
      }
    }
    const shrinking = new Set<unknown>([new Removes(), 2, 3]);
    expect(codeOf(() => codec.encode(shrinking))).toBe('UNSUPPORTED_TYPE');
  });

  it('writes class instances as their own enumerable properties, or their toJSON()', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      get sum(): number {
        return this.x + this.y;
      }
    }
    expect(codec.decode(codec.encode(new Point(1, 2)))).toEqual({ x: 1, y: 2 });
    class Money {
      constructor(readonly cents: bigint) {}
      toJSON(): string {
        return `${this.cents}c`;
      }
    }
    expect(codec.decode(codec.encode({ price: new Money(150n) }))).toEqual({ price: '150c' });
    expect(codec.decode(codec.encode(new URL('https://example.com/a')))).toBe(
      'https://example.com/a',
    );
  });

  it('writes every byte view and buffer as bin', () => {
    expect(hex(codec.encode(Buffer.from([1, 2])))).toBe('c4020102');
    expect(hex(codec.encode(new Uint8Array([1, 2]).subarray(1)))).toBe('c40102');
    expect(hex(codec.encode(new Uint8ClampedArray([7])))).toBe('c40107');
    const u16 = new Uint16Array([0x0102]);
    expect(hex(codec.encode(u16))).toBe(`c402${hex(new Uint8Array(u16.buffer))}`);
    expect(hex(codec.encode(new DataView(new Uint8Array([9, 8, 7]).buffer, 1)))).toBe('c4020807');
    expect(hex(codec.encode(new Uint8Array([5, 6]).buffer))).toBe('c4020506');
    expect(codec.decode(codec.encode(Buffer.from([1, 2])))).toEqual(new Uint8Array([1, 2]));
  });

  it('writes Dates as timestamps, to the millisecond', () => {
    for (const ms of [
      0, 1, 999, 1_700_000_000_123, -1, -1_000, -62_135_596_800_000, 8.64e15, -8.64e15,
    ]) {
      const back = codec.decode(codec.encode(new Date(ms))) as Date;
      expect(back).toBeInstanceOf(Date);
      expect(back.getTime()).toBe(ms);
    }
  });

  it('fails fast with TOO_DEEP on cyclic values, and encodes shared (acyclic) ones', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(codeOf(() => codec.encode(cyclic))).toBe('TOO_DEEP');
    const list: unknown[] = [];
    list.push(list);
    expect(codeOf(() => codec.encode(list))).toBe('TOO_DEEP');
    class SelfJson {
      toJSON(): unknown {
        return this;
      }
    }
    expect(codeOf(() => codec.encode(new SelfJson()))).toBe('TOO_DEEP');
    const shared = { x: 1 };
    expect(codec.decode(codec.encode([shared, shared]))).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it('enforces maxDepth on encode, counting every container', () => {
    const shallow = createMsgpackCodec({ maxDepth: 2 });
    expect(codeOf(() => shallow.encode([[1]]))).toBe('no error');
    expect(codeOf(() => shallow.encode([[[1]]]))).toBe('TOO_DEEP');
    expect(codeOf(() => shallow.encode({ a: { b: {} } }))).toBe('TOO_DEEP');
    expect(codeOf(() => shallow.encode(new Map([[1, new Set([[1]])]])))).toBe('TOO_DEEP');
    expect(codeOf(() => shallow.encode([new Uint8Array(3), new Date(0)]))).toBe('no error');
  });

  it('wraps errors thrown by getters and toJSON as UNSUPPORTED_TYPE with the cause', () => {
    const boom = new Error('getter failed');
    const value = {
      get broken(): never {
        throw boom;
      },
    };
    let thrown: unknown;
    try {
      codec.encode(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CodecError);
    expect((thrown as CodecError).code).toBe('UNSUPPORTED_TYPE');
    expect((thrown as CodecError).cause).toBe(boom);
  });

  it('enforces maxBytes on encode, before building a huge buffer', () => {
    const small = createMsgpackCodec({ maxBytes: 10 });
    expect(hex(small.encode('a'.repeat(8)))).toBe(`a8${'61'.repeat(8)}`); // 9 bytes
    expect(small.encode('a'.repeat(9))).toHaveLength(10);
    expect(codeOf(() => small.encode('a'.repeat(10)))).toBe('TOO_LARGE');
    expect(codeOf(() => small.encode([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toBe('TOO_LARGE');
    const mib = createMsgpackCodec({ maxBytes: 1024 * 1024 });
    expect(codeOf(() => mib.encode(new Uint8Array(64 * 1024 * 1024)))).toBe('TOO_LARGE');
    expect(codeOf(() => mib.encode('x'.repeat(2 * 1024 * 1024)))).toBe('TOO_LARGE');
    expect(codeOf(() => mib.encode(Array.from({ length: 400_000 }, () => 'abc')))).toBe(
      'TOO_LARGE',
    );
    // ...and keeps working afterwards.
    expect(mib.decode(mib.encode({ ok: true }))).toEqual({ ok: true });
  });

  it('keeps working after a failed encode, without leftovers', () => {
    const before = codec.encode({ a: 1 });
    expect(codeOf(() => codec.encode({ a: 'x'.repeat(100), b: () => 1 }))).toBe('UNSUPPORTED_TYPE');
    expect(hex(codec.encode({ a: 1 }))).toBe(hex(before));
  });

  it('encodes values larger than its slab, maps of 16 and 65,536 entries, across buffer growth', () => {
    const wide = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(5_000 + i)]),
    );
    expect(codec.decode(codec.encode(wide))).toEqual(wide);
    const huge = Object.fromEntries(Array.from({ length: 65_536 }, (_, i) => [`k${i}`, i]));
    const encoded = codec.encode(huge);
    expect(hex(encoded.subarray(0, 5))).toBe('df00010000');
    const decoded = codec.decode(encoded) as Record<string, number>;
    // (toEqual on 65,536 keys takes seconds: compare keys and values directly.)
    expect(Object.keys(decoded)).toEqual(Object.keys(huge));
    expect(Object.values(decoded).every((v, i) => v === i)).toBe(true);
    const big = { blob: new Uint8Array(3 * 1024 * 1024).fill(7), text: 'é'.repeat(300_000) };
    const back = codec.decode(codec.encode(big)) as typeof big;
    expect(Buffer.compare(back.blob, big.blob)).toBe(0);
    expect(back.text === big.text).toBe(true);
    expect(codec.decode(codec.encode({ after: 'big' }))).toEqual({ after: 'big' });
  });

  it('moves a long string when its UTF-8 needs a longer header than its length suggested', () => {
    // After a big binary the buffer has room for the worst case, so strings take the
    // write-first path: 40,000 units (str16 guess) become 80,000 bytes (str32).
    const value = [new Uint8Array(300_000), 'é'.repeat(40_000), '€'.repeat(100), 'a'.repeat(70)];
    const encoded = codec.encode(value);
    const tail = Buffer.concat(value.slice(1).map((s) => referenceString(s as string)));
    expect(hex(encoded.subarray(encoded.length - tail.length))).toBe(hex(tail));
    expect(codec.decode(encoded)).toEqual(value);
  });

  it('encodes strings of every length class, ASCII and not, exactly', () => {
    for (const unit of ['a', 'é', '€', '😀']) {
      for (const n of [0, 1, 10, 15, 16, 31, 32, 63, 64, 65, 100, 255, 256, 1000, 22_000, 70_000]) {
        const s = unit.repeat(n);
        const encoded = codec.encode(s);
        expect(hex(encoded)).toBe(hex(referenceString(s)));
        expect(codec.decode(encoded)).toBe(s);
      }
    }
  });
});

/** The standard str encoding, from Node's own UTF-8 encoder. */
function referenceString(s: string): Uint8Array {
  const body = Buffer.from(s, 'utf8');
  const n = body.length;
  let header: number[];
  if (n < 32) header = [0xa0 | n];
  else if (n < 0x100) header = [0xd9, n];
  else if (n < 0x10000) header = [0xda, n >> 8, n & 0xff];
  else header = [0xdb, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from(header), body]);
}

describe('decode options and guarantees', () => {
  it("int64: 'bigint' is exact, 'number' rounds", () => {
    const big = bytes('cf0020000000000001'); // 2^53 + 1
    expect(codec.decode(big)).toBe(9007199254740993n);
    expect(createMsgpackCodec({ int64: 'number' }).decode(big)).toBe(9007199254740992);
    expect(createMsgpackCodec({ int64: 'number' }).decode(bytes('d38000000000000000'))).toBe(
      -(2 ** 63),
    );
    expect(codec.decode(bytes('d3ffe0000000000000'))).toBe(-(2 ** 53));
  });

  it("int64: 'string' gives decimal strings beyond ±2^53, numbers within, on both paths", () => {
    const asText = createMsgpackCodec({ int64: 'string' });
    // [2^53, 2^53 + 1, 2^64 - 1, -(2^53) - 1, -(2^63)]
    const ints = bytes(
      '95cf0020000000000000cf0020000000000001cfffffffffffffffffd3ffdfffffffffffffd38000000000000000',
    );
    const expected = [
      2 ** 53,
      '9007199254740993',
      '18446744073709551615',
      '-9007199254740993',
      '-9223372036854775808',
    ];
    expect(asText.decode(ints)).toEqual(expected);
    // With a timestamp inside, the general path (scanner, msgpackr) decodes it: same values.
    const withDate = Buffer.concat([bytes('92'), ints, bytes('d6ff00000001')]);
    expect(asText.decode(withDate)).toEqual([expected, new Date(1000)]);
    // Keys: object keys as msgpackr writes them; Map keys become strings too.
    expect(asText.decode(bytes('81cf002000000000000101'))).toEqual({ '9007199254740993': 1 });
    expect(
      createMsgpackCodec({ int64: 'string', maps: 'map' }).decode(
        bytes('82cf002000000000000101a178d6ff00000001'),
      ),
    ).toEqual(
      new Map<unknown, unknown>([
        ['9007199254740993', 1],
        ['x', new Date(1000)],
      ]),
    );
    expect(asText.options.int64).toBe('string');
  });

  it('decodes 64-bit integers exactly at ±2^53, in values and keys, next to narrow ones', () => {
    expect(codec.decode(bytes('93cf0020000000000000cf0020000000000001ce01000000'))).toEqual([
      2 ** 53,
      2n ** 53n + 1n,
      2 ** 24,
    ]);
    expect(codec.decode(bytes('92d3ffe0000000000000d3ffdfffffffffffff'))).toEqual([
      -(2 ** 53),
      -(2n ** 53n) - 1n,
    ]);
    expect(codec.decode(bytes('82cf002000000000000101cf001fffffffffffff02'))).toEqual({
      '9007199254740993': 1,
      '9007199254740991': 2,
    });
    const stamps = Array.from({ length: 5 }, (_, i) => 1_700_000_000_000 + i);
    expect(codec.decode(codec.encode(stamps))).toEqual(stamps);
  });

  it("maps: 'map' keeps keys of any type; 'object' refuses what cannot be a key", () => {
    const asMap = createMsgpackCodec({ maps: 'map' });
    const encoded = codec.encode(
      new Map<unknown, unknown>([
        [[1, 2], 'array key'],
        [new Uint8Array([1]), 'bin key'],
        [1, 'int key'],
        ['s', { nested: true }],
      ]),
    );
    const decoded = asMap.decode(encoded) as Map<unknown, unknown>;
    expect(decoded).toBeInstanceOf(Map);
    expect([...decoded.entries()]).toEqual([
      [[1, 2], 'array key'],
      [new Uint8Array([1]), 'bin key'],
      [1, 'int key'],
      ['s', new Map([['nested', true]])],
    ]);
    expect(codeOf(() => codec.decode(encoded))).toBe('UNSUPPORTED_TYPE');
    expect(() => codec.decode(encoded)).toThrow(/decode maps as Map/);
  });

  it('copyBinary: copies by default, views with false', () => {
    const input = codec.encode({ bin: new Uint8Array([1, 2, 3]) });
    const copied = codec.decode(input) as { bin: Uint8Array };
    const viewing = createMsgpackCodec({ copyBinary: false }).decode(input) as { bin: Uint8Array };
    expect(copied.bin.buffer).not.toBe(input.buffer);
    expect(viewing.bin.buffer).toBe(input.buffer);
    expect(Object.getPrototypeOf(copied.bin)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(viewing.bin)).toBe(Uint8Array.prototype);
  });

  it('leaves its input untouched and reads views at any offset', () => {
    const encoded = Buffer.from(codec.encode({ a: [1, 'x'] }));
    const framed = Buffer.concat([Buffer.from([0xde, 0xad]), encoded, Buffer.from([0xbe])]);
    const view = framed.subarray(2, 2 + encoded.length);
    const keys = Object.keys(view).length;
    expect(codec.decode(view)).toEqual({ a: [1, 'x'] });
    expect(Object.keys(view).length).toBe(keys);
    expect('dataView' in view).toBe(false);
    expect(hex(framed)).toBe(`dead${hex(encoded)}be`);
  });

  it('decodes views of one frame, other buffers in between, shared and resizable memory', () => {
    const parts = [{ a: 1 }, 'two', [3, { four: new Uint8Array([4]) }], new Date(5)];
    const encoded = parts.map((p) => Buffer.from(codec.encode(p)));
    const frame = Buffer.concat(encoded);
    let offset = 0;
    for (const [i, part] of encoded.entries()) {
      const view = frame.subarray(offset, offset + part.length);
      offset += part.length;
      expect(codec.decode(view)).toEqual(parts[i]);
      // A message from another buffer in between does not confuse the next view.
      expect(codec.decode(Uint8Array.from(part))).toEqual(parts[i]);
    }
    const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
    shared.set(frame);
    expect(codec.decode(shared.subarray(0, encoded[0]!.length))).toEqual({ a: 1 });
    const Resizable = ArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => ArrayBuffer;
    const growing = new Uint8Array(
      new Resizable(frame.length, { maxByteLength: 2 * frame.length }),
    );
    growing.set(frame);
    expect(codec.decode(growing.subarray(0, encoded[0]!.length))).toEqual({ a: 1 });
    // A bad view of a cached buffer is still refused, and the next good one decodes.
    expect(codeOf(() => codec.decode(frame.subarray(0, 3)))).toBe('MALFORMED');
    expect(codec.decode(frame.subarray(0, encoded[0]!.length))).toEqual({ a: 1 });
  });

  it('decodeSlice decodes a range of a frame like decode of its view', () => {
    const parts = [{ a: 1 }, 'two', [3, { four: new Uint8Array([4]) }], new Date(5)];
    const encoded = parts.map((p) => Buffer.from(codec.encode(p)));
    const frame = Buffer.concat([Buffer.from([0xc1]), ...encoded, Buffer.from([0xc1])]);
    const inner = frame.subarray(1);
    let offset = 0;
    for (const [i, part] of encoded.entries()) {
      expect(codec.decodeSlice(inner, offset, offset + part.length)).toEqual(parts[i]);
      offset += part.length;
    }
    // Errors count bytes from the start of the range, as decode of the view does.
    const two = encoded[0]!.length;
    const truncatedAt = (): unknown => codec.decodeSlice(inner, two, two + 2);
    expect(codeOf(truncatedAt)).toBe('MALFORMED');
    expect(truncatedAt).toThrow(
      (() => {
        try {
          codec.decode(inner.subarray(two, two + 2));
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })(),
    );
    // Trailing bytes inside the range are refused; the byte after the range is never read.
    expect(codeOf(() => codec.decodeSlice(frame, 1, 1 + two + 1))).toBe('MALFORMED');
    const small = createMsgpackCodec({ maxBytes: 4 });
    expect(small.decodeSlice(bytes('ff93010203ff'), 1, 5)).toEqual([1, 2, 3]);
    expect(codeOf(() => small.decodeSlice(bytes('9401020304'), 0, 5))).toBe('TOO_LARGE');
    const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
    shared.set(frame);
    expect(codec.decodeSlice(shared, 1, 1 + two)).toEqual({ a: 1 });
    for (const [start, end] of [
      [-1, 2],
      [2, 1],
      [0, frame.length + 1],
      [0.5, 2],
    ] as const) {
      expect(() => codec.decodeSlice(frame, start, end)).toThrow(RangeError);
    }
    expect(codeOf(() => codec.decodeSlice('x' as unknown as Uint8Array, 0, 1))).toBe('MALFORMED');
  });

  it('refuses input longer than maxBytes with TOO_LARGE', () => {
    const small = createMsgpackCodec({ maxBytes: 4 });
    expect(small.decode(bytes('93010203'))).toEqual([1, 2, 3]);
    expect(codeOf(() => small.decode(bytes('9401020304')))).toBe('TOO_LARGE');
  });

  it('turns whatever msgpackr throws into a CodecError with the cause', () => {
    const inner = new Error('Unknown MessagePack token');
    const error = fromMsgpackr(inner);
    expect(error.code).toBe('MALFORMED');
    expect(error.cause).toBe(inner);
    expect(error.message).toContain('Unknown MessagePack token');
    const overflow = new RangeError('Maximum call stack size exceeded');
    expect(fromMsgpackr(overflow).code).toBe('TOO_DEEP');
    expect(fromMsgpackr('a string').code).toBe('MALFORMED');
  });
});
