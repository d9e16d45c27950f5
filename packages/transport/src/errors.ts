/**
 * Why a transport operation failed.
 * - `CLOSED`: the socket was closed (before or while the operation waited).
 * - `QUEUE_FULL`: the bounded send queue is full and `whenFull` is `'error'`.
 * - `TOO_LARGE`: the message exceeds `maxMessageBytes`.
 * - `UNREACHABLE`: the server has no connected peer with that id.
 * - `TIMEOUT`: a bounded wait (`ready`, `waitForSubscribers`, close flush) ran out.
 * - `INVALID_ENDPOINT`: the endpoint string could not be used (bad syntax, unknown
 *   transport, a tcp port outside 0-65535: refused at once, before libzmq wraps it).
 * - `ADDRESS_IN_USE`: `listen` on an address another socket holds (`EADDRINUSE`).
 * - `HANDSHAKE`: the security handshake failed (wrong key, not on the allow-list).
 * - `INTERNAL`: anything the socket library reported that fits no other code.
 */
export type TransportErrorCode =
  | 'CLOSED'
  | 'QUEUE_FULL'
  | 'TOO_LARGE'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'INVALID_ENDPOINT'
  | 'ADDRESS_IN_USE'
  | 'HANDSHAKE'
  | 'INTERNAL';

const brand = Symbol.for('@xsmb/transport.TransportError');

/** The one error class of `@xsmb/transport`; `code` says what went wrong. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** What went wrong, see {@link TransportErrorCode}. */
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    (this as unknown as Record<symbol, boolean>)[brand] = true;
  }

  /** `instanceof` that also holds across duplicate installs of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
