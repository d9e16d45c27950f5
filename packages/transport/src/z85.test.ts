import { describe, expect, it } from 'vitest';
// The public re-export of @xsmb/zmtp's Z85.
import { z85Decode, z85Encode } from './index.js';

describe('z85 (ZeroMQ RFC 32)', () => {
  const vector = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);

  it('encodes the RFC vector to HelloWorld', () => {
    expect(z85Encode(vector)).toBe('HelloWorld');
  });

  it('decodes HelloWorld to the RFC vector', () => {
    expect([...z85Decode('HelloWorld')]).toEqual([...vector]);
  });

  it('round-trips every byte value and the extremes', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect([...z85Decode(z85Encode(all))]).toEqual([...all]);
    expect(z85Encode(new Uint8Array([0, 0, 0, 0]))).toBe('00000');
    expect(z85Encode(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe('%nSc0');
  });

  it('rejects bad lengths, characters and overflowing groups', () => {
    expect(() => z85Encode(new Uint8Array(3))).toThrow(RangeError);
    expect(() => z85Decode('Hell')).toThrow(RangeError);
    expect(() => z85Decode('Hello Worl')).toThrow(RangeError);
    expect(() => z85Decode('%nSc1')).toThrow(RangeError); // 2^32
    expect(() => z85Decode('Helløworld')).toThrow(RangeError);
  });
});
