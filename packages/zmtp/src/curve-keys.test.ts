import { describe, expect, it } from 'vitest';
import { curveKeyBytes, curveKeyPair, curvePublicKey, z85Decode, z85Encode } from './curve-keys.js';

describe('Z85', () => {
  it('encodes and decodes the RFC 32 HelloWorld vector', () => {
    const bytes = Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
  });

  it('round-trips random data and the extremes', () => {
    for (let n = 0; n < 200; n++) {
      const b = crypto.getRandomValues(new Uint8Array(4 * (n % 17)));
      expect(z85Decode(z85Encode(b))).toEqual(b);
    }
    expect(z85Encode(new Uint8Array([255, 255, 255, 255]))).toBe('%nSc0');
    expect(z85Decode('%nSc0')).toEqual(new Uint8Array([255, 255, 255, 255]));
  });

  it('rejects bad lengths, characters and overflowing groups', () => {
    expect(() => z85Encode(new Uint8Array(3))).toThrow(RangeError);
    expect(() => z85Decode('abcd')).toThrow(RangeError);
    expect(() => z85Decode('abcd~')).toThrow(RangeError);
    expect(() => z85Decode('#####')).toThrow(RangeError); // 84*85^4+... > 2^32-1
  });
});

describe('curve keys', () => {
  it('accepts 32 bytes or 40 Z85 characters, nothing else', () => {
    const { publicKey } = curveKeyPair();
    expect(curveKeyBytes(z85Encode(publicKey))).toEqual(publicKey);
    expect(curveKeyBytes(publicKey)).toEqual(publicKey);
    expect(() => curveKeyBytes(new Uint8Array(31))).toThrow(RangeError);
    expect(() => curveKeyBytes('tooshort')).toThrow(RangeError);
  });

  it('derives the public key of a fresh pair', () => {
    const pair = curveKeyPair();
    expect(curvePublicKey(pair.secretKey)).toEqual(pair.publicKey);
    expect(pair.publicKey).not.toEqual(curveKeyPair().publicKey);
  });

  it('derives the same public key as libzmq (zeromq.js curveKeyPair)', async () => {
    const zmq = await import('zeromq');
    for (let i = 0; i < 5; i++) {
      const pair = zmq.curveKeyPair();
      expect(z85Encode(curvePublicKey(pair.secretKey))).toBe(pair.publicKey);
    }
  });
});
