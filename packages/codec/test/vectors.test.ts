import { describe, expect, it } from 'vitest';
import { CodecError, createMsgpackCodec } from '../src/index.js';
import { bytesOf, fromTagged, hexOf, loadVectors, toHex } from './helpers/vectors.js';

const file = loadVectors();
const codec = createMsgpackCodec();

describe('golden vectors (test/vectors/codec-vectors.json)', () => {
  it('has unique, stable names and covers every section', () => {
    const names = [...file.vectors, ...file.decodeOnly, ...file.rejected].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(file.vectors.length).toBeGreaterThanOrEqual(90);
    expect(file.decodeOnly.length).toBeGreaterThanOrEqual(25);
    expect(file.rejected.length).toBeGreaterThanOrEqual(30);
  });

  describe('encode gives the exact bytes', () => {
    for (const vector of file.vectors) {
      it(vector.name, () => {
        expect(toHex(codec.encode(fromTagged(vector.value)))).toBe(hexOf(vector.hex));
      });
    }
  });

  describe('decode gives the value back', () => {
    for (const vector of file.vectors) {
      it(vector.name, () => {
        const expected = fromTagged('decoded' in vector ? vector.decoded : vector.value);
        expect(codec.decode(bytesOf(vector.hex))).toEqual(expected);
      });
    }
  });

  describe('decode of encodings other implementations may write', () => {
    for (const vector of file.decodeOnly) {
      it(vector.name, () => {
        expect(codec.decode(bytesOf(vector.hex))).toEqual(fromTagged(vector.decoded));
      });
    }
  });

  describe('decode refuses', () => {
    for (const vector of file.rejected) {
      it(`${vector.name} with ${vector.code}`, () => {
        let thrown: unknown;
        try {
          codec.decode(bytesOf(vector.hex));
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(CodecError);
        expect((thrown as CodecError).code).toBe(vector.code);
      });
    }
  });

  it('decodes -0 and 2.0 to the numbers the vectors say, not look-alikes', () => {
    // toEqual distinguishes 0 from -0 (Object.is), so these checks are exact.
    expect(Object.is(codec.decode(bytesOf('00')), 0)).toBe(true);
    expect(codec.decode(bytesOf('cf0020000000000001'))).toBe(9007199254740993n);
  });
});
