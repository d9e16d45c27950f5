/**
 * Connection and security events of a publisher or subscriber: the
 * transport's own, forwarded, so that a user who configures CURVE through
 * `transportOptions` can see a refused handshake without injecting a
 * transport.
 */

import type { TransportBase, TransportEvents } from '@xsmb/transport';
import { PubSubError } from './pubsub-error.js';

/** The payload types, re-exported so users of this package need no second import. */
export type { DisconnectReason, TransportEvents } from '@xsmb/transport';

/**
 * The events {@link Publisher.on} and {@link Subscriber.on} forward, with the
 * transport's payloads:
 * - `connected`: a connection is up (handshake done); `endpoint` and `peer`
 *   are the remote address (on a subscriber, the address it connected to).
 * - `disconnected`: it went away; `reason` is a `DisconnectReason`. A
 *   subscriber reconnects by itself.
 * - `handshakeFailed`: a CURVE/ZAP handshake failed; `reason` says why in
 *   words, `code` is `'400'` when an allow-list refused the key.
 */
export type ConnectionEvents = Pick<
  TransportEvents,
  'connected' | 'disconnected' | 'handshakeFailed'
>;

/** A listener for one {@link ConnectionEvents} event. */
export type ConnectionListener<K extends keyof ConnectionEvents> = (
  event: ConnectionEvents[K],
) => void;

const EVENT_NAMES: ReadonlySet<string> = new Set<keyof ConnectionEvents>([
  'connected',
  'disconnected',
  'handshakeFailed',
]);

/**
 * Registers `listener` on `transport`, guarded: an exception it throws is
 * caught here and reported to `onError` (whatever the transport's emitter
 * would do with it, so an injected transport cannot be broken either).
 * Returns the transport's unsubscribe function.
 */
export function onConnectionEvent<K extends keyof ConnectionEvents>(
  transport: Pick<TransportBase, 'on'>,
  event: K,
  listener: ConnectionListener<K>,
  onError: () => void,
): () => void {
  if (typeof event !== 'string' || !EVENT_NAMES.has(event)) {
    throw new PubSubError(
      'INVALID_ARGUMENT',
      `unknown event ${String(event)}: expected 'connected', 'disconnected' or 'handshakeFailed'`,
    );
  }
  if (typeof listener !== 'function') {
    throw new PubSubError('INVALID_ARGUMENT', 'listener must be a function');
  }
  return transport.on(event, (e: TransportEvents[K]) => {
    try {
      listener(e);
    } catch {
      onError();
    }
  });
}
