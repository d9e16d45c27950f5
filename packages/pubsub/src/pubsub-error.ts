/**
 * Why a pub/sub operation failed.
 * - `CLOSED`: the publisher or subscriber was closed (before or while the
 *   operation waited).
 * - `TIMEOUT`: a bounded wait (`waitForSubscribers`, `ready`) ran out.
 * - `INVALID_ARGUMENT`: a topic name, key, metadata entry or value that cannot
 *   be published (not encodable, or rejected by the topic's schema when
 *   `validateOnPublish` is set); the `cause` says more.
 * - `TOO_LARGE`: the encoded message is above the transport's `maxMessageBytes`.
 * - `QUEUE_FULL`: the publisher's send queue is full and the transport's
 *   `whenFull` is `'error'`.
 * - `INTERNAL`: anything the transport reported that fits no other code.
 */
export type PubSubErrorCode =
  | 'CLOSED'
  | 'TIMEOUT'
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  | 'QUEUE_FULL'
  | 'INTERNAL';

// Symbol.for so that two copies of this package (a duplicate install) share the brand.
const brand = Symbol.for('@xsmb/pubsub.PubSubError');

/** The one error class of `@xsmb/pubsub`; `code` says what went wrong. */
export class PubSubError extends Error {
  override readonly name = 'PubSubError';
  /** What went wrong, see {@link PubSubErrorCode}. */
  readonly code: PubSubErrorCode;

  constructor(code: PubSubErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    (this as unknown as Record<symbol, boolean>)[brand] = true;
  }

  /** `instanceof` that also holds across duplicate installs of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }

  /**
   * Turns anything a lower layer threw into a `PubSubError`: a `PubSubError`
   * as is, a `TransportError` by its code, anything else as `fallback`
   * (default `INTERNAL`), with the original as `cause`.
   */
  static from(reason: unknown, fallback: PubSubErrorCode = 'INTERNAL'): PubSubError {
    if (reason instanceof PubSubError) return reason;
    const message = reason instanceof Error ? reason.message : String(reason);
    const code = (reason as { code?: unknown } | null)?.code;
    // Matched by code rather than `instanceof TransportError`: the core of this
    // package only imports types from @xsmb/transport.
    const mapped: PubSubErrorCode =
      typeof code === 'string' && code in FROM_TRANSPORT
        ? FROM_TRANSPORT[code as keyof typeof FROM_TRANSPORT]
        : fallback;
    return new PubSubError(mapped, message, { cause: reason });
  }
}

const FROM_TRANSPORT = {
  CLOSED: 'CLOSED',
  TIMEOUT: 'TIMEOUT',
  TOO_LARGE: 'TOO_LARGE',
  QUEUE_FULL: 'QUEUE_FULL',
  INVALID_ENDPOINT: 'INVALID_ARGUMENT',
} as const satisfies Record<string, PubSubErrorCode>;
