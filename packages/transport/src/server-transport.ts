/**
 * The server side of request/response: a ROUTER bound to one or more
 * endpoints, with a send queue per peer. This file holds its options and
 * the factory that picks the engine (libzmq-server-transport.ts,
 * zmtp-server-transport.ts; what they share is server-core.ts).
 */

import type { ServerCurveOptions } from './curve.js';
import { EngineChoosingServer } from './engine-server-transport.js';
import { logTransportEvents } from './event-log.js';
import { createLibzmqServerTransport } from './libzmq-server-transport.js';
import { resolveOptions, type TransportOptions } from './options.js';
import type { PeerId, ServerTransport, TransportStats } from './types.js';
import { chooseEngine, type TransportEngine } from './zmtp-options.js';
import { zmtpCurveServer } from './zmtp-security.js';
import { createZmtpServerTransport } from './zmtp-server-transport.js';

/** Options of {@link createServerTransport}. */
export interface ServerTransportOptions extends TransportOptions {
  /**
   * CURVE encryption (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY). Without
   * `allowedClientKeys` any client that knows the public key gets in.
   * Default: none (plain TCP).
   */
  readonly curve?: ServerCurveOptions;
  /**
   * Z85 public keys of the clients allowed in (needs `curve`). Enforced by the
   * process-wide ZAP handler with ZMQ_ZAP_DOMAIN + ZMQ_ZAP_ENFORCE_DOMAIN, so it
   * fails closed: if the handler is gone nobody gets in. Replace at runtime
   * with `setAllowedClientKeys`. Default: no allow-list.
   */
  readonly allowedClientKeys?: Iterable<string>;
}

/** Counters of a server transport: the common ones plus security and peers. */
export interface ServerTransportStats extends TransportStats {
  /** Peers currently connected (as announced by ZMQ_ROUTER_NOTIFY). */
  peers: number;
  /** Handshakes that failed on this server (wrong key, not allowed, mechanism mismatch). */
  handshakeFailures: number;
  /** Clients the allow-list refused (0 without an allow-list). */
  authDenied: number;
}

/** The ZeroMQ {@link ServerTransport}, with what only a server has. */
export interface ZmqServerTransport extends ServerTransport {
  /** Counters, including peers and handshake failures. */
  stats(): ServerTransportStats;
  /** True when a send to `peer` now would wait (`sendQueueDepth` or `sendQueueBytes` reached). */
  isFull(peer: PeerId): boolean;
  /**
   * Replaces the allow-list of client public keys (Z85). Affects new
   * handshakes only. Throws `TypeError` when the server has no allow-list.
   */
  setAllowedClientKeys(keys: Iterable<string>): void;
}

/**
 * Creates a server transport: a ROUTER (ZMQ_ROUTER_MANDATORY) that can
 * `listen()` on several endpoints. Peer ids are routing ids as latin1 strings.
 */
export function createServerTransport(options: ServerTransportOptions = {}): ZmqServerTransport {
  const transport = chooseServerEngine(options);
  logTransportEvents(transport, {
    logger: options.logger,
    role: 'server',
    mechanism: options.curve === undefined ? 'NULL' : 'CURVE',
  });
  return transport;
}

/** The server of the engine asked for, or one that picks it at the first `listen`. */
function chooseServerEngine(options: ServerTransportOptions): ZmqServerTransport {
  const create = (engine: TransportEngine): ZmqServerTransport =>
    engine === 'zmtp' ? createZmtpServerTransport(options) : createLibzmqServerTransport(options);
  if (options.engine !== undefined) return create(chooseEngine(options.engine));
  // Checked now, as an explicit engine would: the transport itself is made at listen().
  resolveOptions(options);
  zmtpCurveServer(options.curve, options.allowedClientKeys);
  // The engine follows the first endpoint: inproc:// exists only in libzmq.
  return new EngineChoosingServer((endpoint) => chooseEngine(undefined, endpoint), create, {
    given: options.allowedClientKeys !== undefined,
    what: 'server',
  });
}
