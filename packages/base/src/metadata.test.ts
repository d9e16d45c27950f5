import { describe, expect, it } from 'vitest';
import {
  checkMetadata,
  EMPTY_METADATA,
  isEmptyMetadata,
  MetadataLimits,
  metadataProblem,
} from './metadata.js';

describe('metadataProblem', () => {
  it('accepts nil and well-formed maps', () => {
    expect(metadataProblem(undefined)).toBeUndefined();
    expect(metadataProblem(null)).toBeUndefined();
    expect(metadataProblem({})).toBeUndefined();
    expect(
      metadataProblem({ traceparent: '00-ab-cd-01', 'x-bin.1_a': new Uint8Array([1, 2]) }),
    ).toBeUndefined();
  });

  it('refuses a bad shape, key or value as invalid', () => {
    expect(metadataProblem('a')).toEqual({ kind: 'invalid', message: 'metadata must be a map' });
    expect(metadataProblem([])?.kind).toBe('invalid');
    expect(metadataProblem(new Uint8Array(1))?.kind).toBe('invalid');
    expect(metadataProblem({ Upper: 'v' })).toEqual({
      kind: 'invalid',
      message: 'invalid metadata key "Upper"',
    });
    expect(metadataProblem({ '-a': 'v' })?.kind).toBe('invalid');
    expect(metadataProblem({ k: 1 })).toEqual({
      kind: 'invalid',
      message: 'metadata value of k must be a string or bytes',
    });
  });

  it('refuses a map over a limit, naming the limit', () => {
    const many = Object.fromEntries(
      Array.from({ length: MetadataLimits.MAX_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v']),
    );
    expect(metadataProblem(many)).toEqual({
      kind: 'limit',
      message: 'metadata has more than 64 entries (MAX_ENTRIES)',
    });
    const atMost = Object.fromEntries(
      Array.from({ length: MetadataLimits.MAX_ENTRIES }, (_, i) => [`k${i}`, 'v']),
    );
    expect(metadataProblem(atMost)).toBeUndefined();
    const longKey = 'k'.repeat(MetadataLimits.MAX_KEY_LENGTH + 1);
    expect(metadataProblem({ [longKey]: 'v' })?.message).toMatch(/MAX_KEY_LENGTH/);
    expect(metadataProblem({ ['k'.repeat(MetadataLimits.MAX_KEY_LENGTH)]: 'v' })).toBeUndefined();
    // 'é' is two bytes of UTF-8: counted as such.
    const big = { k: 'é'.repeat(MetadataLimits.MAX_TOTAL_BYTES / 2) };
    expect(metadataProblem(big)).toEqual({
      kind: 'limit',
      message: 'metadata of 8193 bytes exceeds 8192 (MAX_TOTAL_BYTES)',
    });
    expect(metadataProblem({ k: new Uint8Array(MetadataLimits.MAX_TOTAL_BYTES - 1) })).toBe(
      undefined,
    );
  });

  it('checkMetadata gives the message only', () => {
    expect(checkMetadata({ k: 'v' })).toBeUndefined();
    expect(checkMetadata({ K: 'v' })).toBe('invalid metadata key "K"');
  });
});

describe('isEmptyMetadata', () => {
  it('is true for nothing and for {}', () => {
    expect(isEmptyMetadata(undefined)).toBe(true);
    expect(isEmptyMetadata({})).toBe(true);
    expect(isEmptyMetadata(EMPTY_METADATA)).toBe(true);
    expect(isEmptyMetadata({ k: 'v' })).toBe(false);
    expect(Object.isFrozen(EMPTY_METADATA)).toBe(true);
  });
});
