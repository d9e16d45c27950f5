import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CodecError } from './errors.js';
import { defineMessage } from './message.js';
import { createMsgpackCodec } from './msgpack-codec.js';

const Order = z.object({
  id: z.string(),
  qty: z.number().int().positive(),
  note: z.string().default(''),
  placedAt: z.date(),
});

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('defineMessage<T>() (types only)', () => {
  it('round-trips without checking at run time', () => {
    const Ping = defineMessage<{ seq: number }>({ name: 'Ping' });
    expect(Ping.name).toBe('Ping');
    expect(Ping.schema).toBeUndefined();
    expect(Ping.decode(Ping.encode({ seq: 1 }))).toEqual({ seq: 1 });
    // Only a cast: whatever the bytes hold comes back.
    const Other = defineMessage<{ other: string }>();
    expect(Other.decode(Ping.encode({ seq: 2 }))).toEqual({ seq: 2 });
    expect(Ping.validate('anything')).toBe('anything');
  });

  it('shares one default codec and accepts a custom one', () => {
    expect(defineMessage<number>().codec).toBe(defineMessage<string>().codec);
    const tiny = defineMessage<string>({ codec: createMsgpackCodec({ maxBytes: 8 }) });
    expect(caught(() => tiny.encode('a long string'))).toMatchObject({ code: 'TOO_LARGE' });
  });
});

describe('defineMessage(schema)', () => {
  const PlacedOrder = defineMessage(Order, { name: 'orders.Placed' });
  const at = new Date('2024-05-01T12:00:00.000Z');

  it('decodes and validates, applying defaults', () => {
    const bytes = PlacedOrder.encode({ id: 'o-1', qty: 2, placedAt: at });
    expect(PlacedOrder.decode(bytes)).toEqual({ id: 'o-1', qty: 2, note: '', placedAt: at });
    expect(PlacedOrder.schema).toBe(Order);
  });

  it('names the failing field when the bytes hold a bad value', () => {
    const bytes = createMsgpackCodec().encode({ id: 'o-1', qty: 0, placedAt: 'yesterday' });
    const error = caught(() => PlacedOrder.decode(bytes)) as CodecError;
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('qty: ');
    expect(error.message).toContain('placedAt: ');
    expect(error.issues?.map((i) => i.path)).toEqual(['qty', 'placedAt']);
  });

  it('passes codec errors through', () => {
    expect(caught(() => PlacedOrder.decode(Uint8Array.of(0xc1)))).toMatchObject({
      code: 'MALFORMED',
    });
  });

  it('validates on encode only when asked', () => {
    const bad = { id: 'o-1', qty: -5, placedAt: at };
    expect(() => PlacedOrder.encode(bad)).not.toThrow();
    const Strict = defineMessage(Order, { validateOnEncode: true });
    expect(caught(() => Strict.encode(bad))).toMatchObject({ code: 'VALIDATION' });
    // The value is encoded as given (defaults are the receiver's business).
    const bytes = Strict.encode({ id: 'o-1', qty: 5, placedAt: at });
    expect(createMsgpackCodec().decode(bytes)).toEqual({ id: 'o-1', qty: 5, placedAt: at });
  });

  it('validate() is synchronous for synchronous schemas', () => {
    const result = PlacedOrder.validate({ id: 'x', qty: 1, placedAt: at });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({ id: 'x', qty: 1, note: '', placedAt: at });
  });

  it('asynchronous schemas: decodeAsync works, decode explains itself', async () => {
    const Token = defineMessage(
      z.object({ token: z.string().refine(async (t) => t.length === 4, 'bad token') }),
      { name: 'auth.Token' },
    );
    const good = Token.encode({ token: 'abcd' });
    const bad = Token.encode({ token: 'abc' });
    await expect(Token.decodeAsync(good)).resolves.toEqual({ token: 'abcd' });
    await expect(Token.decodeAsync(bad)).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'token', message: 'bad token' }],
    });
    const error = caught(() => Token.decode(good));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/auth\.Token: .*asynchronously.*decodeAsync/);
    const Strict = defineMessage(
      z.string().refine(async () => true),
      { validateOnEncode: true },
    );
    expect(caught(() => Strict.encode('x'))).toBeInstanceOf(TypeError);
    await expect(Token.decodeAsync(Uint8Array.of(0xc1))).rejects.toMatchObject({
      code: 'MALFORMED',
    });
  });
});
