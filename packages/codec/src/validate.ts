import type { StandardSchemaV1 } from '@standard-schema/spec';
import { CodecError, type ValidationIssue } from './errors.js';

export type { StandardSchemaV1 };

/** The type a Standard Schema accepts (before transforms and defaults). */
export type InferInput<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
/** The type a Standard Schema produces (after transforms and defaults). */
export type InferOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

// Messages list this many issues; `issues` on the error carries all of them.
const ISSUES_IN_MESSAGE = 5;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Whether `value` is a Standard Schema v1 validator (zod, valibot, arktype,
 * effect schema...). Schemas may be objects or functions (arktype).
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as Partial<StandardSchemaV1>)['~standard'];
  return (
    typeof props === 'object' &&
    props !== null &&
    props.version === 1 &&
    typeof props.validate === 'function'
  );
}

/**
 * Validates `value` with any Standard Schema v1 validator and returns the
 * validator's output (with its transforms and defaults applied).
 *
 * Synchronous validators stay synchronous: the result is the value itself,
 * not a promise, so the hot path allocates none. Asynchronous validators give
 * a promise. Either way a rejection is a `CodecError` with code `VALIDATION`
 * whose message names the failing paths and whose `issues` list every
 * `{ path, message }`.
 *
 * @example
 * const User = z.object({ name: z.string(), age: z.number().int() });
 * const user = validate(User, input); // throws CodecError('VALIDATION'): "age: Expected number..."
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): InferOutput<S> | Promise<InferOutput<S>> {
  const result = schema['~standard'].validate(value);
  if (isPromise(result)) return result.then(settle<InferOutput<S>>);
  return settle(result as StandardSchemaV1.Result<InferOutput<S>>);
}

/**
 * Builds the `CodecError` that {@link validate} throws, from Standard Schema
 * issues; for layers that run validators themselves.
 */
export function validationError(
  issues: readonly StandardSchemaV1.Issue[],
  options?: ErrorOptions,
): CodecError {
  const converted: ValidationIssue[] = issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const shown = converted
    .slice(0, ISSUES_IN_MESSAGE)
    .map((issue) => `${issue.path === '' ? '(value)' : issue.path}: ${issue.message}`);
  const more =
    converted.length > ISSUES_IN_MESSAGE
      ? ` (and ${converted.length - ISSUES_IN_MESSAGE} more)`
      : '';
  return new CodecError('VALIDATION', `invalid value: ${shown.join('; ')}${more}`, {
    ...options,
    issues: converted,
  });
}

/**
 * Writes a Standard Schema issue path in JavaScript accessor notation:
 * `user.email`, `items[2].name`, `headers["content-type"]`; `''` for none.
 */
export function formatPath(
  path: readonly (PropertyKey | StandardSchemaV1.PathSegment)[] | undefined,
): string {
  if (path === undefined) return '';
  let out = '';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'symbol') out += `[${key.toString()}]`;
    else if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function settle<T>(result: StandardSchemaV1.Result<T>): T {
  if (result.issues) throw validationError(result.issues);
  return result.value;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}
