import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Codec } from './codec.js';
import { createMsgpackCodec } from './msgpack-codec.js';
import { type InferInput, type InferOutput, isStandardSchema, validate } from './validate.js';

/**
 * A message type declared once and shared by sender and receiver: typed
 * `encode` and `decode`, and runtime validation when it has a schema.
 *
 * `Input` is what senders pass to `encode`; `Output` is what `decode` returns
 * (the schema's output, after its transforms and defaults). Without a schema
 * both are the declared type.
 */
export interface MessageType<Input, Output = Input> {
  /** The name given in {@link MessageOptions.name}, for error messages and tooling. */
  readonly name: string | undefined;
  /** The Standard Schema that `decode` validates with, if any. */
  readonly schema: StandardSchemaV1<Input, Output> | undefined;
  /** The codec that turns values into bytes. */
  readonly codec: Codec;
  /**
   * Encodes a value. Validates it first (throwing `CodecError('VALIDATION')`)
   * only when `validateOnEncode` is set; the value is encoded as given, not
   * as the schema's output.
   */
  encode(value: Input): Uint8Array;
  /**
   * Decodes and, with a schema, validates. Throws `CodecError`; throws a
   * `TypeError` if the schema validates asynchronously (use `decodeAsync`).
   * Without a schema the decoded value is only cast to `Output`: nothing is
   * checked at run time.
   */
  decode(bytes: Uint8Array): Output;
  /** `decode` for schemas that validate asynchronously (works with any schema). */
  decodeAsync(bytes: Uint8Array): Promise<Output>;
  /**
   * Validates a value with the schema: synchronously when the schema is
   * synchronous. Without a schema returns `value` unchecked.
   */
  validate(value: unknown): Output | Promise<Output>;
}

/** Options of {@link defineMessage}. */
export interface MessageOptions {
  /**
   * The codec to use.
   * @default one shared `createMsgpackCodec()` with default options
   */
  readonly codec?: Codec;
  /**
   * A name for error messages and tooling, such as `'orders.Placed'`.
   * @default undefined
   */
  readonly name?: string;
  /**
   * Whether `encode` validates with the schema before encoding, to catch a
   * sender's bugs at the sender. Costs one validation per message; a schema
   * that validates asynchronously cannot be used with it (`encode` throws a
   * `TypeError`).
   * @default false
   */
  readonly validateOnEncode?: boolean;
}

let sharedCodec: Codec | undefined;

// Created on first use, so that importing a contract module costs nothing.
function defaultCodec(): Codec {
  sharedCodec ??= createMsgpackCodec();
  return sharedCodec;
}

/**
 * Declares a message type checked at compile time only: `decode` returns the
 * decoded value cast to `T`.
 *
 * @example
 * const Ping = defineMessage<{ seq: number }>({ name: 'Ping' });
 * const bytes = Ping.encode({ seq: 1 });
 * const ping = Ping.decode(bytes); // { seq: number }
 */
export function defineMessage<T>(options?: MessageOptions): MessageType<T>;
/**
 * Declares a message type from a Standard Schema (zod, valibot, arktype...):
 * its types are inferred from the schema and `decode` validates.
 *
 * @example
 * const Order = defineMessage(z.object({ id: z.string(), qty: z.number().int().positive() }));
 * const order = Order.decode(bytes); // throws CodecError('VALIDATION') naming the bad field
 */
export function defineMessage<S extends StandardSchemaV1>(
  schema: S,
  options?: MessageOptions,
): MessageType<InferInput<S>, InferOutput<S>>;
export function defineMessage(
  schemaOrOptions?: StandardSchemaV1 | MessageOptions,
  maybeOptions?: MessageOptions,
): MessageType<unknown> {
  const schema = isStandardSchema(schemaOrOptions) ? schemaOrOptions : undefined;
  const options: MessageOptions =
    (schema === undefined ? (schemaOrOptions as MessageOptions | undefined) : maybeOptions) ?? {};
  const codec = options.codec ?? defaultCodec();
  const name = options.name;
  const validateOnEncode = options.validateOnEncode ?? false;

  const check = (value: unknown): unknown => (schema ? validate(schema, value) : value);
  const checkSync = (value: unknown, method: string): unknown => {
    const result = check(value);
    if (result instanceof Promise) {
      // Nobody will await it: keep its rejection from surfacing as unhandled.
      result.catch(() => {});
      throw new TypeError(
        `${name ?? 'message'}: the schema validates asynchronously; ${method} cannot wait for it${method === 'decode' ? ', use decodeAsync' : ''}`,
      );
    }
    return result;
  };

  return {
    name,
    schema,
    codec,
    encode(value: unknown): Uint8Array {
      if (validateOnEncode && schema) checkSync(value, 'encode');
      return codec.encode(value);
    },
    decode(bytes: Uint8Array): unknown {
      const value = codec.decode(bytes);
      return schema ? checkSync(value, 'decode') : value;
    },
    async decodeAsync(bytes: Uint8Array): Promise<unknown> {
      return check(codec.decode(bytes));
    },
    validate: check,
  };
}
