/**
 * Call metadata: string or binary values under lower-case keys, sent as
 * request headers (client → server) and response trailers (server → client).
 * The type, the limits and the check are `@xsmb/base`'s, shared with pub/sub;
 * what is rpc's own is here: its keys and the gRPC code of a refused map.
 *
 * Reserved keys (see docs/PROTOCOL.md):
 * - `traceparent`, `tracestate`, `baggage`: W3C Trace Context, set by `@xsmb/tracing`.
 * - `authorization`: credentials, by convention `Bearer <token>`.
 * - `xsmb-*`: reserved for the library itself (e.g. `xsmb-retry-after-ms`).
 */

import { type Metadata, metadataProblem as problemOf } from '@xsmb/base';

export { checkMetadata, isEmptyMetadata, type Metadata, MetadataLimits } from '@xsmb/base';

/** The name the DESIGN uses for {@link Metadata}. */
export type XSMBMetaData = Metadata;

/** Metadata keys with a meaning defined by xSMB. */
export const MetadataKey = {
  /** W3C Trace Context `traceparent`. */
  TRACEPARENT: 'traceparent',
  /** W3C Trace Context `tracestate`. */
  TRACESTATE: 'tracestate',
  /** W3C Baggage. */
  BAGGAGE: 'baggage',
  /** Credentials, conventionally `Bearer <token>`. */
  AUTHORIZATION: 'authorization',
  /** Sent with `RESOURCE_EXHAUSTED` and `UNAVAILABLE` (draining): milliseconds to wait before retrying. */
  RETRY_AFTER_MS: 'xsmb-retry-after-ms',
} as const;

/** What is wrong with a metadata map, and the code a call refused for it gets. */
export interface MetadataProblem {
  /** `INVALID_ARGUMENT` (3) for a bad shape or key, `RESOURCE_EXHAUSTED` (8) for a limit. */
  readonly code: 3 | 8;
  /** A description for people; names the limit for code 8. */
  readonly message: string;
}

/**
 * Checks a metadata map with `@xsmb/base`'s check (keys match
 * `^[a-z0-9][a-z0-9._-]*$`, values are strings or bytes, the
 * {@link MetadataLimits} hold) and gives the gRPC code a call refused for it
 * gets. Returns `undefined` when the map (or nil) is fine.
 */
export function metadataProblem(value: unknown): MetadataProblem | undefined {
  const p = problemOf(value);
  return p === undefined ? undefined : { code: p.kind === 'limit' ? 8 : 3, message: p.message };
}
