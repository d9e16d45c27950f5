import { describe, expect, it } from 'vitest';
import { createFastDecoder, FALLBACK, type FastDecoderSettings } from './fast-decoder.js';

const DEFAULTS: FastDecoderSettings = {
  maxDepth: 64,
  maps: 'object',
  int64: 'bigint',
  copyBinary: true,
};

/** Decodes hex with a fresh decoder; returns FALLBACK when it gives up. */
function decode(hex: string, settings: Partial<FastDecoderSettings> = {}): unknown {
  const bytes = Buffer.from(`ee${hex}ee`, 'hex'); // a byte either side: ranges, not whole buffers
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    return createFastDecoder({ ...DEFAULTS, ...settings })(u8, bytes, view, 1, bytes.length - 1);
  } catch (error) {
    if (error === FALLBACK) return FALLBACK;
    throw error;
  }
}

describe('the one-pass decoder', () => {
  it('decodes the common types', () => {
    expect(decode('93c0c2c3')).toEqual([null, false, true]);
    expect(
      decode('9a7fffcc80cd0100ce80000000d080d1ff7fd280000000cb3ff8000000000000ca3fc00000'),
    ).toEqual([127, -1, 128, 256, 2 ** 31, -128, -129, -(2 ** 31), 1.5, 1.5]);
    // ASCII, UTF-8, and a string long enough for the native path.
    expect(decode(`83a161a178a162a2c3a9a163d928${'78'.repeat(40)}`)).toEqual({
      a: 'x',
      b: 'é',
      c: 'x'.repeat(40),
    });
    expect(decode('c40201029101')).toBe(FALLBACK); // trailing bytes after the bin
    expect(decode('c4020102')).toEqual(new Uint8Array([1, 2]));
  });

  it('reads 64-bit integers as the general path does', () => {
    expect(decode('cf0000000100000000')).toBe(2 ** 32);
    expect(decode('cf0020000000000000')).toBe(2 ** 53);
    expect(decode('d3ffe0000000000000')).toBe(-(2 ** 53));
    // Beyond ±2^53: a bigint in 'bigint' mode (general path), a rounded number otherwise.
    expect(decode('cf0020000000000001')).toBe(FALLBACK);
    expect(decode('cf0020000000000001', { int64: 'number' })).toBe(2 ** 53);
  });

  it('keeps the prototype, reuses cached keys, and copies binaries unless told not to', () => {
    const value = decode('81a95f5f70726f746f5f5f01') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value).toEqual({ __proto_: 1 });
    const bytes = Buffer.from('81a36b6579c4010781a36b6579c40108', 'hex');
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (const copyBinary of [true, false]) {
      const fast = createFastDecoder({ ...DEFAULTS, copyBinary });
      const a = fast(u8, bytes, view, 0, 8) as { key: Uint8Array };
      const b = fast(u8, bytes, view, 8, 16) as { key: Uint8Array };
      expect([a.key[0], b.key[0]]).toEqual([7, 8]);
      expect(a.key.constructor).toBe(Uint8Array);
      bytes[7] = 9;
      expect(a.key[0]).toBe(copyBinary ? 7 : 9);
      bytes[7] = 7;
    }
    expect(decode('81a16101', { maps: 'map' })).toEqual(new Map([['a', 1]]));
    expect(decode('810102', { maps: 'map' })).toEqual(new Map([[1, 2]]));
  });

  it('gives up on everything the general path must decide', () => {
    for (const hex of [
      'd6ff00000001', // timestamp 32: extensions go the general way
      'd40100', // another extension
      'c1', // never used
      '810102', // a number as an object key
      '92', // truncated array
      '92c0', // truncated
      'a3616263ff', // trailing byte inside the range
      'a461', // truncated string
      'dd7fffffff', // a huge declared length
    ]) {
      expect(decode(hex)).toBe(FALLBACK);
    }
    // A map whose first value uses up the range: the bytes after it (here a
    // valid key and value) are never read as its second entry.
    const bytes = Buffer.from('82a161a27879a001', 'hex');
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    expect(() => createFastDecoder(DEFAULTS)(u8, bytes, view, 0, 6)).toThrow();
    expect(createFastDecoder(DEFAULTS)(u8, bytes, view, 0, 8)).toEqual({ a: 'xy', '': 1 });
    expect(decode('919191c0', { maxDepth: 3 })).toEqual([[[null]]]);
    expect(decode('91919191c0', { maxDepth: 3 })).toBe(FALLBACK);
  });
});
