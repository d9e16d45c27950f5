import { addExtension, Packr, pack, Unpackr, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';

// What a user of msgpackr in the same process sees, before xSMB is even loaded.
function userObservations(): unknown[] {
  const values: unknown[] = [
    { a: 1, list: [1, 2, 3], nested: { b: 'c' } },
    new Set([1, 2]),
    new Map([[1, 'one']]),
    undefined,
    [undefined, null],
    new Date(1_700_000_000_123),
    2 ** 40,
    -(2 ** 40),
    2n ** 60n,
    /re/g,
  ];
  const packed = values.map((v) => Buffer.from(pack(v)).toString('hex'));
  const hexInputs = [
    'd40000', // msgpackr's undefined
    'd4730092 0102'.replace(' ', ''), // Set extension
    'd47800 92 a172 a167'.replace(/ /g, ''), // RegExp extension
    'de0001a16101', // map16
    'cf0020000000000001', // uint64 as bigint
  ];
  const unpacked = hexInputs.map((h) => {
    const v = unpack(Buffer.from(h, 'hex'));
    return v instanceof RegExp ? `RegExp ${String(v)}` : v instanceof Set ? ['Set', ...v] : v;
  });
  // Records with shared structures, packed and unpacked by the user's own instances.
  const structures: object[] = [];
  const recordPackr = new Packr({ structures });
  const records = [
    { r: 1, s: 'x' },
    { r: 2, s: 'y' },
  ].map((v) => recordPackr.pack(v));
  const recordUnpackr = new Unpackr({ structures });
  const recordValues = records.map((r) => recordUnpackr.unpack(r));
  return [packed, unpacked, recordValues];
}

describe('msgpackr global state', () => {
  it("xSMB leaves a user's own msgpackr exactly as it was", async () => {
    const before = userObservations();
    const { createMsgpackCodec, CodecError } = await import('../src/index.js');
    const codecs = [
      createMsgpackCodec(),
      createMsgpackCodec({ maps: 'map', int64: 'number', copyBinary: false, omitUndefined: true }),
    ];
    for (const codec of codecs) {
      for (let i = 0; i < 200; i++) {
        codec.decode(
          codec.encode({ i, at: new Date(i), big: 2n ** 60n, bin: new Uint8Array([i & 0xff]) }),
        );
      }
      // Refused inputs, including the extensions the user's msgpackr accepts.
      for (const hex of ['d40000', 'd473009201', 'd4724091a16101', 'c1', '9201']) {
        expect(() => codec.decode(Buffer.from(hex, 'hex'))).toThrow(CodecError);
      }
    }
    expect(userObservations()).toEqual(before);
  });

  it("a user's addExtension and records do not change xSMB", async () => {
    const { createMsgpackCodec, CodecError } = await import('../src/index.js');
    const codec = createMsgpackCodec();
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    addExtension({
      Class: Point,
      type: 1,
      pack: (p: Point) => Buffer.from([p.x, p.y]),
      unpack: (b: Uint8Array) => new Point(b[0]!, b[1]!),
    });
    expect(unpack(pack(new Point(3, 4)))).toEqual(new Point(3, 4)); // the user's msgpackr uses it
    // xSMB writes a Point as plain data and refuses extension 1 on the wire.
    expect(Buffer.from(codec.encode(new Point(3, 4))).toString('hex')).toBe('82a17803a17904');
    expect(() => codec.decode(pack(new Point(3, 4)))).toThrow(CodecError);
    // Records the user packs are refused, and after that the user's records still work.
    const structures: object[] = [];
    const recordPackr = new Packr({ structures });
    const recordUnpackr = new Unpackr({ structures });
    const encoded = recordPackr.pack({ r: 1 });
    expect(() => codec.decode(encoded)).toThrow(CodecError);
    expect(codec.decode(codec.encode({ r: 1 }))).toEqual({ r: 1 });
    expect(recordUnpackr.unpack(encoded)).toEqual({ r: 1 });
    expect(recordUnpackr.unpack(recordPackr.pack({ r: 2 }))).toEqual({ r: 2 });
  });
});
