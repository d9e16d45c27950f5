import { CodedError } from '@xsmb/base';

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

/** The one error class of `@xsmb/pubsub`; `code` says what went wrong. */
export class PubSubError extends CodedError<PubSubErrorCode> {
  /** Shared by every copy of this package: `instanceof` holds across duplicate installs. */
  static override readonly brand: symbol = Symbol.for('@xsmb/pubsub.PubSubError');
  override readonly name = 'PubSubError';

  /**
   * Turns anything a lower layer threw into a `PubSubError`: a `PubSubError`
   * as is, a `TransportError` by its code, anything else as `fallback`
   * (default `INTERNAL`), with the original as `cause`.
   */
  static from(reason: unknown, fallback: PubSubErrorCode = 'INTERNAL'): PubSubError {
    if (reason instanceof PubSubError) return reason;
    const message = messageOf(reason);
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

/** The message of anything thrown: an `Error`'s message, else the value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `fn` and returns its result; what it throws is thrown again as a
 * `PubSubError` (`PubSubError.from(error, fallback)`).
 */
export function translate<T>(fn: () => T, fallback?: PubSubErrorCode): T {
  try {
    return fn();
  } catch (error) {
    throw PubSubError.from(error, fallback);
  }
}

/** `PubSubError.from` as a rejection handler: `promise.then(undefined, rethrow)`. */
export function rethrow(error: unknown): never {
  throw PubSubError.from(error);
}

/** A promise rejected with a new `PubSubError`. */
export function rejectWith(
  code: PubSubErrorCode,
  message: string,
  cause?: unknown,
): Promise<never> {
  return Promise.reject(
    new PubSubError(code, message, cause === undefined ? undefined : { cause }),
  );
}
