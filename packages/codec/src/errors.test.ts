import { describe, expect, it } from 'vitest';
import { CodecError } from './errors.js';

describe('CodecError', () => {
  it('carries name, code, message and cause', () => {
    const cause = new RangeError('inner');
    const error = new CodecError('MALFORMED', 'bad bytes', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodecError);
    expect(error.name).toBe('CodecError');
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toBe('bad bytes');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('CodecError: bad bytes');
    expect(error.stack).toContain('CodecError: bad bytes');
  });

  it('has issues only when given', () => {
    expect('issues' in new CodecError('TOO_LARGE', 'x')).toBe(false);
    const issues = [{ path: 'a.b', message: 'Required' }];
    const error = new CodecError('VALIDATION', 'invalid', { issues });
    expect(error.issues).toEqual(issues);
  });

  it('instanceof holds for an error from a duplicate copy of the package', () => {
    // What a second install of @xsmb/codec would build: another class, same brand.
    const brand = Symbol.for('@xsmb/codec.CodecError');
    class OtherCopy extends Error {
      readonly code = 'MALFORMED';
      constructor() {
        super('from the other copy');
        (this as unknown as Record<symbol, boolean>)[brand] = true;
      }
    }
    expect(new OtherCopy()).toBeInstanceOf(CodecError);
    expect(new Error('plain')).not.toBeInstanceOf(CodecError);
    expect({ code: 'MALFORMED' }).not.toBeInstanceOf(CodecError);
    expect(null).not.toBeInstanceOf(CodecError);
  });

  it('does not answer to the brand of another package', () => {
    const foreign = new Error('transport');
    (foreign as unknown as Record<symbol, boolean>)[Symbol.for('@xsmb/transport.TransportError')] =
      true;
    expect(foreign).not.toBeInstanceOf(CodecError);
  });

  it('is() is the same test as a type guard, and the brand stays hidden', () => {
    const error = new CodecError('TOO_DEEP', 'deep');
    expect(CodecError.is(error)).toBe(true);
    expect(CodecError.is(new Error('plain'))).toBe(false);
    expect(CodecError.is(undefined)).toBe(false);
    // Non-enumerable: a spread copy (or a log of one) carries no brand.
    expect(Object.getOwnPropertySymbols({ ...error })).toEqual([]);
  });
});
