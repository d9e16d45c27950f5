/**
 * What the zmtp engine (`@xsmb/zmtp`) needs from the transport's options, and
 * how its errors become {@link TransportError}s. One place for both, so the
 * client, server and pub/sub transports on that engine agree.
 */

import type { PeerInfo } from '@xsmb/zmtp';
import { type SocketOptions, ZmtpError } from '@xsmb/zmtp';
import { TransportError, type TransportErrorCode } from './errors.js';
import type { TransportEmitter } from './event-emitter.js';
import { FRAMING_SLACK_BYTES, type ResolvedOptions } from './options.js';

/** The engine that carries a transport's messages. */
export type TransportEngine = 'zmtp' | 'libzmq';

/**
 * Picks the engine for an endpoint. `inproc://` exists only inside libzmq.
 * Without an explicit choice the `XSMB_ENGINE` environment variable decides
 * (so a whole test suite can run on either engine), then `zmtp`.
 */
export function chooseEngine(
  requested: TransportEngine | undefined,
  endpoint?: string,
): TransportEngine {
  if (endpoint?.startsWith('inproc://')) return 'libzmq';
  if (requested !== undefined) {
    if (requested !== 'zmtp' && requested !== 'libzmq') {
      throw new TypeError(`engine must be 'zmtp' or 'libzmq', got ${String(requested)}`);
    }
    return requested;
  }
  return process.env.XSMB_ENGINE === 'libzmq' ? 'libzmq' : 'zmtp';
}

/** The zmtp socket options equivalent to the transport's libzmq settings. */
export function zmtpSocketOptions(o: ResolvedOptions): SocketOptions {
  return {
    // A whole ZeroMQ message: a burst frame, or the tag byte plus a large message.
    maxMessageBytes: o.maxMessageBytes + FRAMING_SLACK_BYTES,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    heartbeatTtlMs: o.heartbeatTimeoutMs,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    reconnectIntervalMs: o.reconnectIntervalMs,
    reconnectIntervalMaxMs: Math.max(o.reconnectIntervalMs, o.reconnectMaxIntervalMs),
    sendHighWaterMark: o.sendHighWaterMark,
    lingerMs: o.lingerMs,
  };
}

const CODES: Partial<Record<string, TransportErrorCode>> = {
  CLOSED: 'CLOSED',
  TOO_LARGE: 'TOO_LARGE',
  UNREACHABLE: 'UNREACHABLE',
  TIMEOUT: 'TIMEOUT',
  INVALID_ENDPOINT: 'INVALID_ENDPOINT',
  HANDSHAKE: 'HANDSHAKE',
  UNAUTHORIZED: 'HANDSHAKE',
  MECHANISM: 'HANDSHAKE',
  PEER_ERROR: 'HANDSHAKE',
};

/** Wraps a zmtp bind/connect failure on `endpoint` as a {@link TransportError}. */
export function zmtpEndpointError(endpoint: string, cause: unknown): TransportError {
  const zcode = cause instanceof ZmtpError ? cause.code : undefined;
  const mapped: TransportErrorCode =
    zcode === 'ADDRESS_IN_USE'
      ? addressInUse()
      : zcode !== undefined
        ? (CODES[zcode] ?? 'INTERNAL')
        : 'INTERNAL';
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new TransportError(mapped, `cannot use endpoint ${endpoint}: ${detail}`, { cause });
}

/** Connects a zmtp socket; a refused endpoint becomes a `TransportError` naming it. */
export function connectZmtp(socket: { connect(endpoint: string): void }, endpoint: string): void {
  try {
    socket.connect(endpoint);
  } catch (cause) {
    throw zmtpEndpointError(endpoint, cause);
  }
}

/**
 * Binds a zmtp socket and returns the real endpoint; `inproc://` (libzmq's
 * only) and bind failures become `TransportError`s naming `endpoint`.
 */
export async function bindZmtp(
  socket: { bind(endpoint: string): Promise<string> },
  endpoint: string,
): Promise<string> {
  if (endpoint.startsWith('inproc://')) {
    throw new TransportError('INVALID_ENDPOINT', `inproc:// needs engine: 'libzmq' (${endpoint})`);
  }
  try {
    return await socket.bind(endpoint);
  } catch (cause) {
    throw zmtpEndpointError(endpoint, cause);
  }
}

/** The code for EADDRINUSE (its own code where the transport has one). */
function addressInUse(): TransportErrorCode {
  return 'ADDRESS_IN_USE' as TransportErrorCode;
}

/** True for handshake refusals that will not be retried (key not allowed, peer's ERROR). */
export function isPermanentRefusal(error: ZmtpError): boolean {
  return error.code === 'UNAUTHORIZED' || error.code === 'PEER_ERROR';
}

/**
 * A zmtp handshake failure in the words and codes the libzmq engine uses
 * (`400` for a key the allow-list refused, `ERR_ZMTP_CRYPTOGRAPHIC` for a
 * wrong server key, `ERR_ZMTP_MECHANISM_MISMATCH`), so `handshakeFailed`
 * reads the same whatever the engine.
 */
export function describeZmtpFailure(error: ZmtpError): { reason: string; code?: string } {
  const detail = error.message;
  switch (error.code) {
    case 'UNAUTHORIZED':
      return {
        reason: `authentication refused (status 400): the client key is not on the server's allow-list`,
        code: '400',
      };
    case 'PEER_ERROR':
      return /\b400\b/.test(detail)
        ? {
            reason: `authentication refused (status 400): the client key is not on the server's allow-list`,
            code: '400',
          }
        : {
            reason: `protocol error: the peer refused the handshake (${detail})`,
            code: 'PEER_ERROR',
          };
    case 'HANDSHAKE':
      return {
        reason: `protocol error during the handshake (ERR_ZMTP_CRYPTOGRAPHIC): the client used the wrong server public key [${detail}]`,
        code: 'ERR_ZMTP_CRYPTOGRAPHIC',
      };
    case 'MECHANISM':
      return {
        reason: `protocol error during the handshake (ERR_ZMTP_MECHANISM_MISMATCH): one side uses CURVE and the other does not [${detail}]`,
        code: 'ERR_ZMTP_MECHANISM_MISMATCH',
      };
    case 'TIMEOUT':
      return { reason: `handshake timed out [${detail}]`, code: 'TIMEOUT' };
    default:
      return {
        reason: `protocol error: the peer dropped the connection during the security handshake (wrong server public key, or the server refused this client) [${detail}]`,
        code: error.code,
      };
  }
}

/** The peer events of a zmtp socket, as a pub/sub socket reports them. */
interface PeerEventSource {
  on(event: 'connect', listener: (peer: PeerInfo) => void): unknown;
  on(event: 'disconnect', listener: (peer: PeerInfo) => void): unknown;
  on(
    event: 'handshakeFailed',
    listener: (endpoint: string, error: ZmtpError, address: string) => void,
  ): unknown;
}

/**
 * Forwards a zmtp pub/sub socket's peer events (publisher, subscriber):
 * peers by their address, handshake failures in the libzmq engine's words
 * (and counted by `onFailure`).
 */
export function forwardPeerEvents(
  socket: PeerEventSource,
  emitter: TransportEmitter,
  onFailure: () => void = () => {},
): void {
  socket.on('connect', (peer) =>
    emitter.emit('connected', { endpoint: peer.endpoint, peer: peer.remoteAddress }),
  );
  socket.on('disconnect', (peer) =>
    emitter.emit('disconnected', {
      endpoint: peer.endpoint,
      peer: peer.remoteAddress,
      reason: 'disconnected',
    }),
  );
  socket.on('handshakeFailed', (endpoint, error, address) => {
    onFailure();
    emitter.emit('handshakeFailed', { endpoint, address, ...describeZmtpFailure(error) });
  });
}
