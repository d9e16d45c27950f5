import { createMsgpackCodec } from '@xsmb/codec';
import { describe, expect, it } from 'vitest';
import { fromJson, ndjson, toJson } from './json-mapping.js';

describe('JSON <-> MessagePack mapping', () => {
  const codec = createMsgpackCodec();

  it('round-trips bytes, bigint and Date through MessagePack', () => {
    const json = {
      b: { $bytes: 'AAH/' },
      n: { $bigint: '1152921504606846976' },
      d: { $date: '2023-11-14T22:13:20.123Z' },
      nested: [{ $bytes: '' }, null, 'x', 1.5],
    };
    const value = fromJson(json) as Record<string, unknown>;
    expect(value.b).toEqual(new Uint8Array([0, 1, 255]));
    expect(value.n).toBe(2n ** 60n);
    expect(value.d).toEqual(new Date(1_700_000_000_123));
    expect(toJson(codec.decode(codec.encode(value)))).toEqual(json);
  });

  it('leaves other objects alone, even with a $ key among others', () => {
    const json = { $bytes: 'AA==', other: 1 };
    expect(fromJson(json)).toEqual(json);
    expect(fromJson({ $bytes: 5 })).toEqual({ $bytes: 5 });
  });

  it('omits undefined map entries and writes one NDJSON line', () => {
    expect(toJson({ a: undefined, b: 1 })).toEqual({ b: 1 });
    expect(ndjson({ b: new Uint8Array([1]) })).toBe('{"b":{"$bytes":"AQ=="}}\n');
  });
});
