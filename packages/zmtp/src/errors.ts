/**
 * The failures every socket has, whatever carries it (also the `@xsmb/transport`
 * codes build on these).
 * - `CLOSED`: the socket or connection was closed (before or while the operation waited).
 * - `QUEUE_FULL`: a bounded queue (high-water mark) is full and the caller asked not to wait.
 * - `TOO_LARGE`: a frame or message exceeds `maxMessageBytes` (checked on the frame header,
 *   before any allocation).
 * - `UNREACHABLE`: a ROUTER in mandatory mode has no connected peer with that routing id.
 * - `TIMEOUT`: a bounded wait (connect, handshake, heartbeat TTL) ran out.
 * - `INVALID_ENDPOINT`: the endpoint string could not be used (bad syntax, port out of range).
 * - `ADDRESS_IN_USE`: `bind` found the address taken (EADDRINUSE).
 */
export type SocketErrorCode =
  | 'CLOSED'
  | 'QUEUE_FULL'
  | 'TOO_LARGE'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'INVALID_ENDPOINT'
  | 'ADDRESS_IN_USE';

/**
 * Why a ZMTP operation failed: a {@link SocketErrorCode}, or one of the ZMTP ones:
 * - `PROTOCOL`: the peer broke ZMTP (bad greeting, bad frame, unexpected command).
 * - `MECHANISM`: the peers' security mechanisms do not match (NULL against CURVE).
 * - `HANDSHAKE`: the security handshake failed (bad box, wrong server key).
 * - `UNAUTHORIZED`: the peer's key is not on the allow-list (fails closed).
 * - `PEER_ERROR`: the peer sent an ERROR command; the message carries its reason.
 */
export type ZmtpErrorCode =
  | SocketErrorCode
  | 'PROTOCOL'
  | 'MECHANISM'
  | 'HANDSHAKE'
  | 'UNAUTHORIZED'
  | 'PEER_ERROR';

const brand = Symbol.for('@xsmb/zmtp.ZmtpError');

/** The one error class of `@xsmb/zmtp`; `code` says what went wrong. */
export class ZmtpError extends Error {
  override readonly name = 'ZmtpError';
  /** What went wrong, see {@link ZmtpErrorCode}. */
  readonly code: ZmtpErrorCode;

  constructor(code: ZmtpErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    (this as unknown as Record<symbol, boolean>)[brand] = true;
  }

  /** `instanceof` that also holds across duplicate installs of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
