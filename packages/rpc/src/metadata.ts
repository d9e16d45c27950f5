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
 * Limits of one metadata (headers or trailers) map, enforced on send (a
 * typed error before anything is sent) and on receive (the call is refused).
 */
export const MetadataLimits = {
  /** Longest key, in characters (keys are ASCII). */
  MAX_KEY_LENGTH: 128,
  /** Most entries in one map. */
  MAX_ENTRIES: 64,
  /** Most bytes in one map: keys plus values (strings counted in UTF-8). */
  MAX_TOTAL_BYTES: 8192,
} as const;

/** What is wrong with a metadata map, and the code a call refused for it gets. */
export interface MetadataProblem {
  /** `INVALID_ARGUMENT` (3) for a bad shape or key, `RESOURCE_EXHAUSTED` (8) for a limit. */
  readonly code: 3 | 8;
  readonly message: string;
}

/**
 * Checks a metadata map: keys match `^[a-z0-9][a-z0-9._-]*$`, values are
 * strings or bytes, and the {@link MetadataLimits} hold. Returns the problem,
 * or `undefined` when the map (or nil) is fine.
 */
export function metadataProblem(value: unknown): MetadataProblem | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    return { code: 3, message: 'metadata must be a map' };
  }
  let entries = 0;
  let bytes = 0;
  for (const key in value) {
    if (key.length > MetadataLimits.MAX_KEY_LENGTH) {
      return {
        code: 8,
        message: `metadata key ${JSON.stringify(key.slice(0, 64))}... longer than ${MetadataLimits.MAX_KEY_LENGTH} characters (MAX_KEY_LENGTH)`,
      };
    }
    if (!KEY.test(key))
      return { code: 3, message: `invalid metadata key ${JSON.stringify(key.slice(0, 64))}` };
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') bytes += key.length + Buffer.byteLength(v);
    else if (v instanceof Uint8Array) bytes += key.length + v.byteLength;
    else return { code: 3, message: `metadata value of ${key} must be a string or bytes` };
    if (++entries > MetadataLimits.MAX_ENTRIES) {
      return {
        code: 8,
        message: `metadata has more than ${MetadataLimits.MAX_ENTRIES} entries (MAX_ENTRIES)`,
      };
    }
  }
  if (bytes > MetadataLimits.MAX_TOTAL_BYTES) {
    return {
      code: 8,
      message: `metadata of ${bytes} bytes exceeds ${MetadataLimits.MAX_TOTAL_BYTES} (MAX_TOTAL_BYTES)`,
    };
  }
  return undefined;
}

/** {@link metadataProblem}, as a message only. */
export function checkMetadata(value: unknown): string | undefined {
  return metadataProblem(value)?.message;
}

/** True when the metadata object has no keys (encoded as nil on the wire). */
export function isEmptyMetadata(metadata: Metadata | undefined): boolean {
  if (!metadata) return true;
  for (const _ in metadata) return false;
  return true;
}
