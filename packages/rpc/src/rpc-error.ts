import { CodedError } from '@xsmb/base';
import { Code, codeName, isCode } from './code.js';
import type { Metadata } from './metadata.js';

/** Options of {@link RpcError}. */
export interface RpcErrorOptions extends ErrorOptions {
  /** Structured, MessagePack-encodable details sent to the peer. */
  details?: unknown;
  /** Trailers sent with the error. */
  metadata?: Metadata;
}

/**
 * The one error class of `@xsmb/rpc`: a gRPC-numbered `code`, a message,
 * optional `details` and `metadata` (trailers). Every failed call rejects with
 * one; `instanceof` works across duplicate installs.
 */
export class RpcError extends CodedError<Code> {
  // The brand of the pre-@xsmb/base class: old and new copies still recognise each other.
  static override readonly brand: symbol = Symbol.for('@xsmb/rpc.RpcError');
  override readonly name = 'RpcError';
  /** The message without the code prefix, as sent on the wire. */
  readonly rawMessage: string;
  /** Structured details, as sent by the peer. */
  readonly details: unknown;
  /** Trailers sent with the error. */
  readonly metadata: Metadata;

  constructor(code: Code, message: string, options: RpcErrorOptions = {}) {
    super(
      code,
      `[${codeName(code)}] ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.rawMessage = message;
    this.details = options.details;
    this.metadata = options.metadata ?? {};
  }

  /**
   * Turns anything thrown into an `RpcError`: an `RpcError` as is, an
   * `AbortError`/`TimeoutError` into `CANCELLED`/`DEADLINE_EXCEEDED`, an object
   * with a numeric gRPC `code` keeps it, anything else becomes `fallback`
   * (default `UNKNOWN`) with the original as `cause`.
   */
  static from(reason: unknown, fallback: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (reason instanceof Error) {
      if (reason.name === 'AbortError')
        return new RpcError(Code.CANCELLED, reason.message, { cause: reason });
      if (reason.name === 'TimeoutError') {
        return new RpcError(Code.DEADLINE_EXCEEDED, reason.message, { cause: reason });
      }
      const code = (reason as { code?: unknown }).code;
      if (isCode(code) && code !== Code.OK)
        return new RpcError(code, reason.message, { cause: reason });
      return new RpcError(fallback, reason.message, { cause: reason });
    }
    return new RpcError(fallback, String(reason), { cause: reason });
  }
}
