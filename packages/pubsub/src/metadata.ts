/**
 * Message metadata: string or binary values under lower-case keys, carried
 * with each message (typically W3C Trace Context: `traceparent`,
 * `tracestate`, `baggage`). The same rules as RPC metadata.
 */
export type Metadata = Record<string, string | Uint8Array>;

/** What a subscriber sees when a message carries no metadata (shared, frozen). */
export const EMPTY_METADATA: Readonly<Metadata> = Object.freeze({});

const KEY = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Checks metadata, on publish and on receive: a map of keys matching
 * `^[a-z0-9][a-z0-9._-]*$` to strings or bytes. Returns why it is invalid, or
 * `undefined` when it is fine (also for `null`/`undefined`: no metadata).
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

/** True when `metadata` has no keys (sent as nil). */
export function isEmptyMetadata(metadata: Metadata | undefined): boolean {
  if (metadata === undefined) return true;
  for (const _ in metadata) return false;
  return true;
}
