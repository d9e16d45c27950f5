import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CodecError } from './errors.js';
import { formatPath, isStandardSchema, validate, validationError } from './validate.js';

const User = z.object({
  name: z.string(),
  email: z.email(),
  age: z.number().int().default(0),
  items: z.array(z.object({ sku: z.string(), qty: z.number().positive() })),
});

function caught(action: () => unknown): CodecError {
  try {
    action();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('validate', () => {
  it('returns the output of a synchronous validator synchronously (no promise)', () => {
    const result = validate(User, { name: 'ada', email: 'ada@example.com', items: [] });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({ name: 'ada', email: 'ada@example.com', age: 0, items: [] });
  });

  it('throws CodecError VALIDATION naming every failing field', () => {
    const error = caught(() =>
      validate(User, {
        name: 'ada',
        email: 'nope',
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: -1 },
        ],
      }),
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^invalid value: /);
    expect(error.message).toContain('email: ');
    expect(error.message).toContain('items[1].qty: ');
    expect(error.issues?.map((i) => i.path)).toEqual(['email', 'items[1].qty']);
    for (const issue of error.issues ?? []) expect(issue.message).not.toBe('');
  });

  it('names the value itself, and summarises long lists of issues', () => {
    expect(caught(() => validate(z.string(), 1)).message).toMatch(/^invalid value: \(value\): /);
    const many = z.object(
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, z.string()])),
    );
    const error = caught(() => validate(many, {}));
    expect(error.issues).toHaveLength(8);
    expect(error.message).toContain('f4: ');
    expect(error.message).not.toContain('f5: ');
    expect(error.message).toMatch(/\(and 3 more\)$/);
  });

  it('returns a promise for asynchronous validators, rejecting with CodecError', async () => {
    const Slow = z.string().refine(async (s) => s.startsWith('ok'), 'must start with ok');
    const good = validate(Slow, 'ok!');
    expect(good).toBeInstanceOf(Promise);
    await expect(good).resolves.toBe('ok!');
    const bad = validate(Slow, 'no');
    await expect(bad).rejects.toBeInstanceOf(CodecError);
    await expect(bad).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: '', message: 'must start with ok' }],
    });
  });

  it('works with any Standard Schema, including path segments objects', () => {
    const custom: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) =>
          typeof value === 'number'
            ? { value }
            : {
                issues: [
                  { message: 'not a number', path: [{ key: 'outer' }, 2, { key: 'in-ner' }] },
                ],
              },
      },
    };
    expect(validate(custom, 5)).toBe(5);
    expect(caught(() => validate(custom, 'x')).issues).toEqual([
      { path: 'outer[2]["in-ner"]', message: 'not a number' },
    ]);
  });
});

describe('formatPath', () => {
  it('writes JavaScript accessor notation', () => {
    expect(formatPath(undefined)).toBe('');
    expect(formatPath([])).toBe('');
    expect(formatPath(['a', 0, 'b'])).toBe('a[0].b');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['content-type'])).toBe('["content-type"]');
    expect(formatPath(['headers', 'content-type'])).toBe('headers["content-type"]');
    expect(formatPath([{ key: '$x' }, { key: 1 }, '_y2'])).toBe('$x[1]._y2');
    expect(formatPath([Symbol('s')])).toBe('[Symbol(s)]');
    expect(formatPath(['', 'a b', '1'])).toBe('[""]["a b"]["1"]');
  });
});

describe('isStandardSchema', () => {
  it('recognises schemas, objects or functions, of version 1 only', () => {
    expect(isStandardSchema(User)).toBe(true);
    const callable = Object.assign(() => true, {
      '~standard': { version: 1, vendor: 'fn', validate: () => ({ value: 1 }) },
    });
    expect(isStandardSchema(callable)).toBe(true);
    for (const value of [
      null,
      undefined,
      1,
      'schema',
      {},
      { '~standard': null },
      { '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } },
      { '~standard': { version: 1, vendor: 'x' } },
    ]) {
      expect(isStandardSchema(value)).toBe(false);
    }
  });
});

describe('validationError', () => {
  it('builds the same error validate throws, with a cause when given', () => {
    const cause = new Error('origin');
    const error = validationError([{ message: 'bad', path: ['a'] }], { cause });
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe('invalid value: a: bad');
    expect(error.cause).toBe(cause);
    expect(error.issues).toEqual([{ path: 'a', message: 'bad' }]);
  });
});
