/**
 * Call metadata: string or binary values under lower-case keys, sent as
 * request headers (client → server) and response trailers (server → client).
 *
 * Reserved keys (see docs/PROTOCOL.md):
 * - `traceparent`, `tracestate`, `baggage`: W3C Trace Context, set by `@xsmb/tracing`.
 * - `authorization`: credentials, by convention `Bearer <token>`.
 * - `xsmb-*`: reserved for the library itself (e.g. `xsmb-retry-after-ms`).
 */
export type Metadata = Record<string, string | Uint8Array>;

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

const KEY = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Checks metadata received from the network: a map of lower-case keys to
 * strings or bytes. Returns an error message, or `undefined` when valid.
 */
export function checkMetadata(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    return 'metadata must be a map';
  }
  for (const key in value) {
    if (!KEY.test(key)) return `invalid metadata key ${JSON.stringify(key.slice(0, 64))}`;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
      return `metadata value of ${key} must be a string or bytes`;
    }
  }
  return undefined;
}

/** True when the metadata object has no keys (encoded as nil on the wire). */
export function isEmptyMetadata(metadata: Metadata | undefined): boolean {
  if (!metadata) return true;
  for (const _ in metadata) return false;
  return true;
}
