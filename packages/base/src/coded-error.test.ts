import { describe, expect, it } from 'vitest';
import { CodedError } from './coded-error.js';

type FooCode = 'A' | 'B';

class FooError extends CodedError<FooCode> {
  static override readonly brand: symbol = Symbol.for('@xsmb/test.FooError');
  override readonly name = 'FooError';
}

class SubFooError extends FooError {
  static override readonly brand: symbol = Symbol.for('@xsmb/test.SubFooError');
}

class BarError extends CodedError<number> {
  static override readonly brand: symbol = Symbol.for('@xsmb/test.BarError');
  override readonly name = 'BarError';
}

/** A second copy of FooError, as a duplicate install of its package would have. */
function duplicateFooError() {
  return class FooError extends CodedError<FooCode> {
    static override readonly brand: symbol = Symbol.for('@xsmb/test.FooError');
    override readonly name = 'FooError';
  };
}

describe('CodedError', () => {
  it('carries code, message, name and cause', () => {
    const cause = new Error('under');
    const e = new FooError('A', 'went wrong', { cause });
    expect(e.code).toBe('A');
    expect(e.message).toBe('went wrong');
    expect(e.name).toBe('FooError');
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(Error);
    expect(String(e)).toBe('FooError: went wrong');
  });

  it('instanceof holds across copies of the class, and not across classes', () => {
    const Copy = duplicateFooError();
    const e = new Copy('B', 'x');
    expect(e instanceof FooError).toBe(true);
    expect(new FooError('A', 'x') instanceof Copy).toBe(true);
    expect(e instanceof BarError).toBe(false);
    expect(new BarError(3, 'x') instanceof FooError).toBe(false);
    expect(new BarError(3, 'x') instanceof CodedError).toBe(true);
  });

  it('a subclass instance is an instance of its parents, not the reverse', () => {
    const e = new SubFooError('A', 'x');
    expect(e instanceof SubFooError).toBe(true);
    expect(e instanceof FooError).toBe(true);
    expect(new FooError('A', 'x') instanceof SubFooError).toBe(false);
  });

  it('is() is the same test, as a type guard', () => {
    const value: unknown = new FooError('A', 'x');
    expect(FooError.is(value)).toBe(true);
    if (FooError.is(value)) expect(value.code).toBe('A');
    expect(BarError.is(value)).toBe(false);
    expect(FooError.is(null)).toBe(false);
    expect(FooError.is('FooError')).toBe(false);
    expect(FooError.is({ code: 'A' })).toBe(false);
  });

  it('the brand does not show in keys or JSON', () => {
    const e = new FooError('A', 'x');
    expect(Object.keys(e)).toEqual(['code', 'name']);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'A', name: 'FooError' });
  });
});
