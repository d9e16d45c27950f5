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
}
