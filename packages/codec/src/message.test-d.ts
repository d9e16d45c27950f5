// Type-level tests: checked by `pnpm typecheck` (tsc), never run.
import { expectTypeOf } from 'vitest';
import { z } from 'zod';
import {
  type Codec,
  CodecError,
  type CodecErrorCode,
  createMsgpackCodec,
  defineMessage,
  type InferInput,
  type InferOutput,
  type MessageType,
  type MsgpackCodec,
  type ValidationIssue,
  validate,
} from './index.js';

// --- defineMessage<T>(): compile-time types only
const Ping = defineMessage<{ seq: number }>({ name: 'Ping' });
expectTypeOf(Ping).toEqualTypeOf<MessageType<{ seq: number }>>();
expectTypeOf(Ping.encode).parameter(0).toEqualTypeOf<{ seq: number }>();
expectTypeOf(Ping.decode(new Uint8Array())).toEqualTypeOf<{ seq: number }>();
expectTypeOf(Ping.decodeAsync(new Uint8Array())).toEqualTypeOf<Promise<{ seq: number }>>();
expectTypeOf(Ping.validate(1)).toEqualTypeOf<{ seq: number } | Promise<{ seq: number }>>();
Ping.encode({ seq: 1 });
// @ts-expect-error wrong field type
Ping.encode({ seq: '1' });
// @ts-expect-error missing field
Ping.encode({});
// @ts-expect-error unknown option
defineMessage<number>({ nmae: 'typo' });

// --- defineMessage(schema): input and output inferred from the schema
const Order = z.object({ id: z.string(), note: z.string().default(''), at: z.date() });
const PlacedOrder = defineMessage(Order, { validateOnEncode: true });
expectTypeOf(PlacedOrder).toEqualTypeOf<
  MessageType<InferInput<typeof Order>, InferOutput<typeof Order>>
>();
// Senders may leave out what has a default...
expectTypeOf(PlacedOrder.encode)
  .parameter(0)
  .toEqualTypeOf<{ id: string; note?: string | undefined; at: Date }>();
// ...receivers always get it.
expectTypeOf(PlacedOrder.decode(new Uint8Array())).toEqualTypeOf<{
  id: string;
  note: string;
  at: Date;
}>();
PlacedOrder.encode({ id: 'o', at: new Date() });
// @ts-expect-error at must be a Date
PlacedOrder.encode({ id: 'o', at: '2024-01-01' });
// @ts-expect-error a type argument that is not a schema, with a schema
defineMessage<{ id: string }>(Order);

// --- validate keeps synchronous and asynchronous results apart only at run time
const checked = validate(Order, {});
expectTypeOf(checked).toEqualTypeOf<
  { id: string; note: string; at: Date } | Promise<{ id: string; note: string; at: Date }>
>();
// @ts-expect-error not a Standard Schema
validate({ parse: () => 1 }, 1);

// --- the codec contract
const codec = createMsgpackCodec({ maxBytes: 1 << 20, int64: 'number', maps: 'map' });
expectTypeOf(codec).toExtend<Codec>();
expectTypeOf(codec).toEqualTypeOf<MsgpackCodec>();
expectTypeOf(codec.encode).toEqualTypeOf<(value: unknown) => Uint8Array>();
expectTypeOf(codec.decode).returns.toEqualTypeOf<unknown>();
expectTypeOf(codec.options.maxBytes).toEqualTypeOf<number>();
createMsgpackCodec({ int64: 'string' });
// @ts-expect-error int64 modes are 'bigint', 'number' and 'string'
createMsgpackCodec({ int64: 'text' });
// @ts-expect-error maxBytes is a number
createMsgpackCodec({ maxBytes: '1MB' });
// @ts-expect-error options are read-only
codec.options.maxBytes = 1;

// --- errors
const error = new CodecError('VALIDATION', 'x', { issues: [{ path: 'a', message: 'b' }] });
expectTypeOf(error.code).toEqualTypeOf<CodecErrorCode>();
expectTypeOf(error.issues).toEqualTypeOf<readonly ValidationIssue[] | undefined>();
// @ts-expect-error unknown code
new CodecError('NOPE', 'x');
// @ts-expect-error code is read-only
error.code = 'MALFORMED';
