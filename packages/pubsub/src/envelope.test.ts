import { MetadataLimits } from '@xsmb/base';
import { describe, expect, it } from 'vitest';
import { checkEnvelope } from './envelope.js';

const id = new Uint8Array(8);

describe('checkEnvelope metadata', () => {
  it('accepts metadata within the limits', () => {
    expect(checkEnvelope([1, id, 1, { traceparent: 'x' }, 0])).toBeUndefined();
  });

  it('refuses metadata over a limit, as RPC does, naming the limit', () => {
    const many = Object.fromEntries(
      Array.from({ length: MetadataLimits.MAX_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v']),
    );
    expect(checkEnvelope([1, id, 1, many, 0])).toEqual({
      reason: 'metadata',
      message: 'metadata has more than 64 entries (MAX_ENTRIES)',
    });
    expect(checkEnvelope([1, id, 1, { K: 'v' }, 0])).toMatchObject({ reason: 'metadata' });
  });
});
