/**
 * The publishing side of pub/sub: an XPUB (so subscriptions are visible),
 * bound for subscribers or connected to a broker's XSUB side. This file
 * holds its options and the factory that picks the engine
 * (libzmq-publisher-transport.ts, zmtp-publisher-transport.ts; what they
 * share is publisher-core.ts).
 */

import type { ClientCurveOptions, ServerCurveOptions } from './curve.js';
import { EngineChoosingPublisher } from './engine-publisher-transport.js';
import { logTransportEvents } from './event-log.js';
import type { SlowSubscriberPolicy } from './fanout.js';
import { createLibzmqPublisherTransport } from './libzmq-publisher-transport.js';
import { resolveOptions, type TransportOptions } from './options.js';
import { checkPublisherOptions } from './publisher-core.js';
import type { PublisherTransport, TransportStats } from './types.js';
import { chooseEngine, type TransportEngine } from './zmtp-options.js';
import { createZmtpPublisherTransport } from './zmtp-publisher-transport.js';
import { zmtpCurveClient, zmtpCurveServer } from './zmtp-security.js';

/** Options of {@link createPublisherTransport}. `sendTimeoutMs` does not apply (XPUB never waits). */
export interface PublisherTransportOptions extends TransportOptions {
  /**
   * What happens when a subscriber is too slow and its queue (ZMQ_SNDHWM,
   * with ZMQ_XPUB_NODROP) is full: `'drop'` the message (counted) or
   * `'block'` publishing until it fits. See {@link SlowSubscriberPolicy}.
   * @default 'drop'
   */
  readonly slowSubscriber?: SlowSubscriberPolicy;
  /**
   * CURVE encryption for a publisher that binds (`listen`): it is the CURVE
   * server (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY) and subscribers need its
   * public key. Without `allowedClientKeys` any subscriber that knows the
   * public key gets in. Such a publisher cannot `connect()` (use
   * `curveClient` for that). Default: none (plain TCP).
   */
  readonly curve?: ServerCurveOptions;
  /**
   * Z85 public keys of the subscribers allowed in (needs `curve`). Enforced
   * by the process-wide ZAP handler with ZMQ_ZAP_DOMAIN +
   * ZMQ_ZAP_ENFORCE_DOMAIN, as on the server transport, so it fails closed:
   * if the handler is gone nobody gets in. Replace at runtime with
   * `setAllowedClientKeys`. Default: no allow-list.
   */
  readonly allowedClientKeys?: Iterable<string>;
  /**
   * CURVE encryption for a publisher that `connect()`s to a CURVE broker: it
   * is then a CURVE client (ZMQ_CURVE_SERVERKEY = the broker's public key,
   * ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY), and its `publicKey` is what
   * the broker's `allowedPublisherKeys` lists. A ZeroMQ socket has one CURVE
   * role, so this excludes `curve`, and `listen()` then rejects. Default:
   * none (plain TCP).
   */
  readonly curveClient?: ClientCurveOptions;
}

/** Counters of a publisher transport: the common ones plus security and unmatched. */
export interface PublisherTransportStats extends TransportStats {
  /**
   * Logical messages whose topic no subscription this publisher knew of
   * (from XPUB notifications) matched when they left the send queue: they
   * reach nobody (ZeroMQ would discard them), so they are counted here and
   * not sent. Notifications are read asynchronously: a message that leaves
   * just as a subscription arrives may be counted either way.
   */
  unmatched: number;
  /** Handshakes that failed on this publisher (wrong key, not allowed, mechanism mismatch). */
  handshakeFailures: number;
  /** Subscribers the allow-list refused (0 without an allow-list). */
  authDenied: number;
}

/** The ZeroMQ {@link PublisherTransport}, with what only it has. */
export interface ZmqPublisherTransport extends PublisherTransport {
  /** Counters, including handshake failures. */
  stats(): PublisherTransportStats;
  /**
   * Replaces the allow-list of subscriber public keys (Z85). Affects new
   * handshakes only. Throws `TypeError` when the publisher has no allow-list.
   */
  setAllowedClientKeys(keys: Iterable<string>): void;
}

/**
 * Creates a publisher transport: an XPUB that binds (`listen`) for
 * subscribers or connects to a broker. Topic first, then the burst or large
 * frames; one burst carries consecutive messages of one topic frame, so
 * messages leave in publish order. With `curve` it is a CURVE server
 * (optionally with an allow-list of subscriber keys), with `curveClient` a
 * CURVE client of a broker. Without `engine`, the first endpoint picks it:
 * libzmq for `inproc://`, else `XSMB_ENGINE` or zmtp.
 */
export function createPublisherTransport(
  options: PublisherTransportOptions = {},
): ZmqPublisherTransport {
  const transport = choosePublisherEngine(options);
  logTransportEvents(transport, {
    logger: options.logger,
    role: 'publisher',
    mechanism: options.curve === undefined && options.curveClient === undefined ? 'NULL' : 'CURVE',
  });
  return transport;
}

/** The publisher of the engine asked for, or one that picks it at the first endpoint. */
function choosePublisherEngine(options: PublisherTransportOptions): ZmqPublisherTransport {
  const create = (engine: TransportEngine): ZmqPublisherTransport =>
    engine === 'zmtp'
      ? createZmtpPublisherTransport(options)
      : createLibzmqPublisherTransport(options);
  if (options.engine !== undefined) return create(chooseEngine(options.engine));
  // Checked now, as an explicit engine would: the transport itself is made
  // by the first listen() or connect().
  resolveOptions(options);
  checkPublisherOptions(options);
  zmtpCurveServer(options.curve, options.allowedClientKeys);
  zmtpCurveClient('curveClient', options.curveClient);
  // The engine follows the first endpoint: inproc:// exists only in libzmq.
  return new EngineChoosingPublisher((endpoint) => chooseEngine(undefined, endpoint), create, {
    given: options.allowedClientKeys !== undefined,
    what: 'publisher',
  });
}
