import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMsgpackCodec } from '@xsmb/codec';
import { describe, expect, it } from 'vitest';
import {
  checkEnvelope,
  encodeCancel,
  encodeCredit,
  encodeData,
  encodeEnd,
  encodeError,
  encodeGoaway,
  encodeRequest,
  encodeResponse,
  Kind,
  peekHeader,
  requestKind,
} from './envelope.js';
import type { Metadata } from './metadata.js';

interface Vector {
  name: string;
  description: string;
  envelope: unknown[];
  hex: string;
}

const root = join(import.meta.dirname, '..', '..', '..');
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'test', 'vectors', 'envelopes.json'), 'utf8'),
) as Vector[];
const codec = createMsgpackCodec();

/** The vectors file writes bytes as { "$bin": "hex" }. */
function unwrap(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === 'object') {
    if ('$bin' in value)
      return new Uint8Array(Buffer.from((value as { $bin: string }).$bin, 'hex'));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

/** Encodes a vector with the encoder function of its kind, as the library does on the wire. */
function encodeWithLibrary(env: unknown[]): Uint8Array {
  const [, kind, id, a, b, c, d, e] = env as [
    number,
    number,
    number,
    unknown,
    unknown,
    unknown,
    unknown,
    unknown,
  ];
  switch (kind) {
    case Kind.REQUEST:
      return encodeRequest(
        codec,
        id,
        a as string,
        b as number,
        (c as Metadata | null) ?? undefined,
        d,
        e as string | undefined,
      );
    case Kind.RESPONSE:
      return encodeResponse(codec, id, (a as Metadata | null) ?? undefined, b);
    case Kind.ERROR:
      return encodeError(
        codec,
        id,
        a as number,
        b as string,
        c,
        (d as Metadata | null) ?? undefined,
      );
    case Kind.CANCEL:
      return encodeCancel(codec, id);
    case Kind.DATA:
      return encodeData(codec, id, a);
    case Kind.END:
      return encodeEnd(codec, id, (a as Metadata | null) ?? undefined);
    case Kind.CREDIT:
      return encodeCredit(codec, id, a as number, b as number);
    case Kind.GOAWAY:
      return encodeGoaway(codec, a as string);
    default:
      throw new Error(`no encoder for kind ${kind}`);
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('envelope test vectors (docs/PROTOCOL.md)', () => {
  const protocol = readFileSync(join(root, 'docs', 'PROTOCOL.md'), 'utf8');
  const kinds = new Set(vectors.map((v) => v.envelope[1]));

  it('cover every envelope kind', () => {
    expect([...kinds].sort()).toEqual(Object.values(Kind).sort());
  });

  for (const v of vectors) {
    it(`${v.name}: encodes byte for byte, decodes back, is documented`, () => {
      const value = unwrap(v.envelope) as unknown[];
      expect(hex(encodeWithLibrary(value))).toBe(v.hex);
      expect(codec.decode(Buffer.from(v.hex, 'hex'))).toEqual(value);
      expect(checkEnvelope(value)).toBeUndefined();
      expect(peekHeader(Buffer.from(v.hex, 'hex'))).toEqual({
        version: 1,
        kind: value[1],
        id: value[2],
      });
      expect(protocol).toContain(v.hex);
    });
  }
});

describe('checkEnvelope', () => {
  it('refuses what is not a well-formed envelope', () => {
    expect(checkEnvelope({})?.message).toMatch(/not an array/);
    expect(checkEnvelope([1, 1])?.message).toMatch(/not an array/);
    expect(checkEnvelope([2, 1, 1])).toMatchObject({ version: true });
    expect(checkEnvelope([1, 99, 1])?.message).toMatch(/unknown envelope kind/);
    expect(checkEnvelope([1, 4, -1])?.message).toMatch(/invalid call id/);
    expect(checkEnvelope([1, 4, 2 ** 32])?.message).toMatch(/invalid call id/);
    expect(checkEnvelope([1, 1, 1, 'a/b'])?.message).toMatch(/needs 7 elements/);
    expect(checkEnvelope([1, 4, 1])).toBeUndefined();
  });

  it('reads the method kind of a 1.1 REQUEST and ignores it when absent or not a string', () => {
    expect(requestKind([1, 1, 1, 'a/b', 0, null, null, 'unary'])).toBe('unary');
    expect(requestKind([1, 1, 1, 'a/b', 0, null, null])).toBeUndefined();
    expect(requestKind([1, 1, 1, 'a/b', 0, null, null, 7, 'extra'])).toBeUndefined();
    // Receivers accept extra trailing elements beyond the kind (later revisions).
    expect(checkEnvelope([1, 1, 1, 'a/b', 0, null, null, 'unary', 'later'])).toBeUndefined();
  });

  it('peeks headers only from well-formed starts', () => {
    expect(peekHeader(new Uint8Array([]))).toBeUndefined();
    expect(peekHeader(new Uint8Array([0x80]))).toBeUndefined();
    expect(peekHeader(new Uint8Array([0x93, 0x01, 0x04]))).toBeUndefined();
    expect(peekHeader(new Uint8Array([0x93, 0x01, 0x04, 0xcd, 0x01]))).toBeUndefined();
    expect(peekHeader(new Uint8Array([0xdc, 0x00, 0x03, 0x02, 0x01, 0xcc, 0xff]))).toEqual({
      version: 2,
      kind: 1,
      id: 255,
    });
  });
});
