/**
 * Turns values into bytes and back: the narrow interface the layers above
 * (`@xsmb/rpc`, `@xsmb/pubsub`) code against.
 *
 * Implementations throw `CodecError` and nothing else, and the bytes
 * `encode` returns stay valid and unchanged after later calls (callers may
 * queue them).
 */
export interface Codec {
  /** Encodes one value. Throws `CodecError` (`UNSUPPORTED_TYPE`, `TOO_LARGE`, `TOO_DEEP`). */
  encode(value: unknown): Uint8Array;
  /** Decodes exactly one value that fills `bytes`. Throws `CodecError`. */
  decode(bytes: Uint8Array): unknown;
  /**
   * Optional: decodes `bytes[start, end)` exactly as `decode(bytes.subarray(start, end))`
   * would, without building the view (the layers above decode a value that
   * sits inside a received frame). Throws `CodecError`, and `RangeError` for
   * a range outside `bytes`.
   */
  decodeSlice?(bytes: Uint8Array, start: number, end: number): unknown;
}
