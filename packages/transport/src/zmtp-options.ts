/**
 * What the zmtp engine (`@xsmb/zmtp`) needs from the transport's options, and
 * how its errors become {@link TransportError}s. One place for both, so the
 * client, server and pub/sub transports on that engine agree.
 */

import { type SocketOptions, ZmtpError } from '@xsmb/zmtp';
import { TransportError, type TransportErrorCode } from './errors.js';
import { FRAMING_SLACK_BYTES, type ResolvedOptions } from './options.js';

/** The engine that carries a transport's messages. */
export type TransportEngine = 'zmtp' | 'libzmq';

/**
 * Picks the engine for an endpoint. `inproc://` exists only inside libzmq.
 * Without an explicit choice the `XSMB_ENGINE` environment variable decides
 * (so a whole test suite can run on either engine), then `libzmq`.
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
  const env = process.env['XSMB_ENGINE'];
  return env === 'zmtp' ? 'zmtp' : 'libzmq';
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

/** The code for EADDRINUSE (its own code where the transport has one). */
function addressInUse(): TransportErrorCode {
  return 'ADDRESS_IN_USE' as TransportErrorCode;
}

/** True for handshake refusals that will not be retried (key not allowed, peer's ERROR). */
export function isPermanentRefusal(error: ZmtpError): boolean {
  return error.code === 'UNAUTHORIZED' || error.code === 'PEER_ERROR';
}
