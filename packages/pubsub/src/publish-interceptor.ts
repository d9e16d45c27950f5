/**
 * Publish interceptors: wrappers of `publish` (tracing adds `traceparent`,
 * a tenant header...), and the chain a publish runs through.
 */

import type { Metadata } from '@xsmb/base';
import { PubSubError, rethrow } from './pubsub-error.js';

/**
 * One message on its way through the `interceptors` of a publisher.
 * `value` and `metadata` may be changed (or replaced) before calling `next`;
 * `metadata` is the publisher's own copy of the caller's, so adding keys
 * never touches the caller's object.
 */
export interface PublishRequest {
  /** The topic's name. */
  readonly topic: string;
  /** The key; `undefined` when none. */
  readonly key: string | undefined;
  /** The value to publish (checked by `validateOnPublish` after the interceptors). */
  value: unknown;
  /** Metadata to send; `{}` when the caller gave none. */
  metadata: Metadata;
}

/** The rest of the publish chain: resolves when queued, rejects with `PubSubError`. */
export type PublishNext = (request: PublishRequest) => Promise<void>;

/**
 * Wraps `publish`: gets the next step once per publish and returns what
 * runs instead; call `next(request)` to go on and return (or await) its
 * promise. Calling `next` synchronously keeps same-tick batching; an
 * interceptor that awaits before `next` may let later messages overtake.
 *
 * @example
 * const tenant: PublishInterceptor = (next) => (req) => {
 *   req.metadata['x-tenant'] = 'acme';
 *   return next(req);
 * };
 */
export type PublishInterceptor = (next: PublishNext) => PublishNext;

/**
 * Runs `request` through `interceptors` (the first one outermost) to `last`,
 * the publish itself. Always settles with a `PubSubError` on failure, also
 * when an interceptor throws synchronously or rejects with something else.
 */
export function runInterceptors(
  interceptors: readonly PublishInterceptor[],
  request: PublishRequest,
  last: PublishNext,
): Promise<void> {
  // Built per publish so that `last` can hold what the request only names
  // (the typed topic and its schema).
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  try {
    return next(request).then(undefined, rethrow);
  } catch (error) {
    return Promise.reject(PubSubError.from(error));
  }
}
