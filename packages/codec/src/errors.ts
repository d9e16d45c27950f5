import { CodedError } from '@xsmb/base';

/**
 * Why encoding, decoding or validation failed.
 * - `MALFORMED`: the input is not one complete, well-formed MessagePack value
 *   (truncated, trailing bytes, the never-used byte `0xc1`, a bad timestamp,
 *   or anything else msgpackr refused; its error is the `cause`).
 * - `TOO_LARGE`: the input, or the encoded output, is longer than `maxBytes`.
 * - `TOO_DEEP`: arrays and maps nest deeper than `maxDepth` (on encode this
 *   also catches cyclic values).
 * - `UNSUPPORTED_EXTENSION`: the input holds a MessagePack extension other
 *   than the standard timestamp (type -1), e.g. msgpackr's records (0x72),
 *   BigInt (0x42), Set, Error or RegExp extensions.
 * - `UNSUPPORTED_TYPE`: a value has no interoperable MessagePack form
 *   (function, symbol, invalid `Date`, bigint outside the 64-bit range, `Error`,
 *   `RegExp`, `WeakMap`, `Promise`...), or a decoded value has no JavaScript
 *   form under the chosen options (a map key that is an array, a map or binary
 *   while maps decode as objects; a timestamp outside the `Date` range).
 * - `VALIDATION`: a Standard Schema validator rejected the value; `issues`
 *   says where and why.
 */
export type CodecErrorCode =
  | 'MALFORMED'
  | 'TOO_LARGE'
  | 'TOO_DEEP'
  | 'UNSUPPORTED_EXTENSION'
  | 'UNSUPPORTED_TYPE'
  | 'VALIDATION';

/** One reason a validator rejected a value, in a form that travels well (plain strings). */
export interface ValidationIssue {
  /**
   * Where in the value the problem is, in JavaScript accessor notation:
   * `user.email`, `items[2].name`, `["content-type"]`; the empty string for
   * the value itself.
   */
  readonly path: string;
  /** The validator's message, unchanged. */
  readonly message: string;
}

/** Options of the {@link CodecError} constructor. */
export interface CodecErrorOptions extends ErrorOptions {
  /**
   * The validation issues, for code `VALIDATION`.
   * @default undefined (the error has no `issues` property)
   */
  readonly issues?: readonly ValidationIssue[];
}

/** The one error class of `@xsmb/codec`; `code` (a {@link CodecErrorCode}) says what went wrong. */
export class CodecError extends CodedError<CodecErrorCode> {
  // The brand of the pre-@xsmb/base class: old and new copies still recognise each other.
  static override readonly brand: symbol = Symbol.for('@xsmb/codec.CodecError');
  override readonly name = 'CodecError';
  /** For code `VALIDATION`: every issue the validator reported. Absent otherwise. */
  // `declare`: no own `issues` property at all unless there are issues.
  declare readonly issues?: readonly ValidationIssue[];

  /**
   * @param code what went wrong
   * @param message a description for people
   * @param options `cause`, and `issues` for code `VALIDATION`
   */
  constructor(code: CodecErrorCode, message: string, options?: CodecErrorOptions) {
    // `Error` ignores the unknown `issues` key of `options`.
    super(code, message, options);
    if (options?.issues !== undefined) {
      (this as { issues?: readonly ValidationIssue[] }).issues = options.issues;
    }
  }
}
