import { CodedError } from '@xsmb/base';
import type { SocketErrorCode } from '@xsmb/zmtp';

/**
 * Why a transport operation failed: the socket-level codes of `@xsmb/zmtp`
 * ({@link SocketErrorCode}), with the meanings they have here, and two more.
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
export type TransportErrorCode = SocketErrorCode | 'HANDSHAKE' | 'INTERNAL';

/** The one error class of `@xsmb/transport`; `code` (a {@link TransportErrorCode}) says what went wrong. */
export class TransportError extends CodedError<TransportErrorCode> {
  // The brand of the pre-@xsmb/base class: old and new copies still recognise each other.
  static override readonly brand: symbol = Symbol.for('@xsmb/transport.TransportError');
  override readonly name = 'TransportError';
}
