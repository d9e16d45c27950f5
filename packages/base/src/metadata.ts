/**
 * Metadata: string or binary values under lower-case keys, carried by RPC
 * calls (headers and trailers) and pub/sub messages alike, with one set of
 * rules (docs/PROTOCOL.md).
 *
 * Reserved keys: `traceparent`, `tracestate`, `baggage` (W3C Trace Context
 * and Baggage), `authorization`, and the prefix `xsmb-` (the library's own).
 */
export type Metadata = Record<string, string | Uint8Array>;

/** What a receiver sees when a message carries no metadata (shared, frozen). */
export const EMPTY_METADATA: Readonly<Metadata> = Object.freeze({});

const KEY = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Limits of one metadata map, enforced on send (a typed error before
 * anything is sent) and on receive (the call or message is refused).
 */
export const MetadataLimits = {
  /** Longest key, in characters (keys are ASCII). */
  MAX_KEY_LENGTH: 128,
  /** Most entries in one map. */
  MAX_ENTRIES: 64,
  /** Most bytes in one map: keys plus values (strings counted in UTF-8). */
  MAX_TOTAL_BYTES: 8192,
} as const;

/** What is wrong with a metadata map. */
export interface MetadataProblem {
  /**
   * `'invalid'`: not a map, a bad key, a value neither string nor bytes
   * (rpc: `INVALID_ARGUMENT`). `'limit'`: over one of the
   * {@link MetadataLimits}, named in the message (rpc: `RESOURCE_EXHAUSTED`).
   */
  readonly kind: 'invalid' | 'limit';
  /** A description for people; names the limit for kind `'limit'`. */
  readonly message: string;
}

function quote(key: string): string {
  return JSON.stringify(key.slice(0, 64));
}

/**
 * Checks a metadata map: keys match `^[a-z0-9][a-z0-9._-]*$`, values are
 * strings or bytes, and the {@link MetadataLimits} hold. Returns the problem,
 * or `undefined` when the map (or `null`/`undefined`: no metadata) is fine.
 */
export function metadataProblem(value: unknown): MetadataProblem | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    return { kind: 'invalid', message: 'metadata must be a map' };
  }
  let entries = 0;
  let bytes = 0;
  for (const key in value) {
    if (key.length > MetadataLimits.MAX_KEY_LENGTH) {
      return {
        kind: 'limit',
        message: `metadata key ${quote(key)}... longer than ${MetadataLimits.MAX_KEY_LENGTH} characters (MAX_KEY_LENGTH)`,
      };
    }
    if (!KEY.test(key)) return { kind: 'invalid', message: `invalid metadata key ${quote(key)}` };
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') bytes += key.length + Buffer.byteLength(v);
    else if (v instanceof Uint8Array) bytes += key.length + v.byteLength;
    else return { kind: 'invalid', message: `metadata value of ${key} must be a string or bytes` };
    if (++entries > MetadataLimits.MAX_ENTRIES) {
      return {
        kind: 'limit',
        message: `metadata has more than ${MetadataLimits.MAX_ENTRIES} entries (MAX_ENTRIES)`,
      };
    }
  }
  if (bytes > MetadataLimits.MAX_TOTAL_BYTES) {
    return {
      kind: 'limit',
      message: `metadata of ${bytes} bytes exceeds ${MetadataLimits.MAX_TOTAL_BYTES} (MAX_TOTAL_BYTES)`,
    };
  }
  return undefined;
}

/** {@link metadataProblem}, as a message only. */
export function checkMetadata(value: unknown): string | undefined {
  return metadataProblem(value)?.message;
}

/** True when the metadata object has no keys (sent as nil on the wire). */
export function isEmptyMetadata(metadata: Metadata | undefined): boolean {
  if (!metadata) return true;
  for (const _ in metadata) return false;
  return true;
}
