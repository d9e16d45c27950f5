/**
 * JSON <-> MessagePack value mapping for the command line. MessagePack has
 * types JSON lacks; each travels as a one-key object so that any JSON tool
 * can read and write it:
 *
 * | MessagePack (JavaScript)        | JSON                                 |
 * | ------------------------------- | ------------------------------------ |
 * | bin (`Uint8Array`)              | `{"$bytes": "<base64>"}`             |
 * | integer beyond ±2^53 (`bigint`) | `{"$bigint": "<decimal>"}`           |
 * | timestamp ext −1 (`Date`)       | `{"$date": "<ISO 8601>"}`            |
 *
 * Everything else maps as `JSON.parse`/`JSON.stringify` do: nil is `null`,
 * absent map entries stay absent.
 */

/** Converts a decoded MessagePack value into plain JSON (see the module comment). */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

/** Converts JSON into the value to encode, turning the `$bytes`/`$bigint`/`$date` forms back. */
export function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [k, v] = entries[0] as [string, unknown];
      if (typeof v === 'string') {
        if (k === '$bytes') return new Uint8Array(Buffer.from(v, 'base64'));
        if (k === '$bigint') return BigInt(v);
        if (k === '$date') return new Date(v);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = fromJson(v);
    return out;
  }
  return value;
}

/** One line of NDJSON for a decoded value. */
export function ndjson(value: unknown): string {
  return `${JSON.stringify(toJson(value))}\n`;
}
