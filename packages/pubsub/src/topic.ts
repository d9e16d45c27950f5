import type { InferInput, InferOutput, StandardSchemaV1 } from '@xsmb/codec';
import { isStandardSchema } from '@xsmb/codec';

/**
 * A topic declared once and shared by publishers and subscribers: its name
 * and the type of its messages, optionally with a Standard Schema validator.
 *
 * `Input` is what `publish` takes; `Output` is what subscribers receive (the
 * schema's output, after its transforms and defaults). Without a schema both
 * are the declared type and nothing is checked at run time.
 */
export interface Topic<Input, Output = Input> {
  /** The topic name: 1 to 255 bytes of UTF-8, no U+0000 (it separates topic and key on the wire). */
  readonly name: string;
  /** The validator subscribers run on every received value, if any. */
  readonly schema: StandardSchemaV1<Input, Output> | undefined;
  /** Whether `publish` validates with the schema first; see {@link TopicOptions.validateOnPublish}. */
  readonly validateOnPublish: boolean;
  /** Type-only marker so that `Topic<A>` and `Topic<B>` are not interchangeable. Never set. */
  readonly __types?: { readonly input: Input; readonly output: Output };
}

/** Options of {@link defineTopic}. */
export interface TopicOptions {
  /**
   * Whether `publish` validates the value with the schema before sending, to
   * catch a publisher's bugs at the publisher (rejecting with
   * `INVALID_ARGUMENT`). Costs one validation per message; the schema must be
   * synchronous. The value is sent as given, not as the schema's output.
   * Default: `false` (subscribers always validate).
   */
  readonly validateOnPublish?: boolean;
}

/** The type `publish` takes for a topic. */
export type TopicInput<T> = T extends Topic<infer I, unknown> ? I : never;
/** The type subscribers receive for a topic. */
export type TopicOutput<T> = T extends Topic<unknown, infer O> ? O : never;

/** Longest topic name in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 255;

/** Throws a `TypeError` unless `name` is a valid topic name. */
export function checkTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('a topic name must be a non-empty string');
  }
  if (name.includes('\0')) {
    throw new TypeError(`topic name ${JSON.stringify(name)} contains U+0000`);
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_TOPIC_BYTES) {
    throw new TypeError(`topic name is longer than ${MAX_TOPIC_BYTES} bytes of UTF-8`);
  }
}

/**
 * Declares a topic checked at compile time only: subscribers receive the
 * decoded value cast to `T`.
 *
 * @example
 * const Prices = defineTopic<{ sym: string; px: number }>('prices');
 */
export function defineTopic<T>(name: string, options?: TopicOptions): Topic<T>;
/**
 * Declares a topic from a Standard Schema (zod, valibot, arktype...): its
 * types are inferred from the schema and subscribers validate every value;
 * a value that fails is counted as invalid and skipped.
 *
 * @example
 * const Prices = defineTopic('prices', z.object({ sym: z.string(), px: z.number() }));
 */
export function defineTopic<S extends StandardSchemaV1>(
  name: string,
  schema: S,
  options?: TopicOptions,
): Topic<InferInput<S>, InferOutput<S>>;
export function defineTopic(
  name: string,
  schemaOrOptions?: StandardSchemaV1 | TopicOptions,
  maybeOptions?: TopicOptions,
): Topic<unknown> {
  checkTopicName(name);
  const schema = isStandardSchema(schemaOrOptions) ? schemaOrOptions : undefined;
  const options: TopicOptions =
    (schema === undefined ? (schemaOrOptions as TopicOptions | undefined) : maybeOptions) ?? {};
  const validateOnPublish = options.validateOnPublish ?? false;
  if (validateOnPublish && schema === undefined) {
    throw new TypeError(`topic ${name}: validateOnPublish needs a schema`);
  }
  return Object.freeze({ name, schema, validateOnPublish });
}
