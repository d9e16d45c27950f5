/**
 * Translation of resolved transport options into zeromq.js socket options,
 * and of zeromq.js errors into {@link TransportError}s.
 */

import { TransportError, type TransportErrorCode } from './errors.js';
import { FRAMING_SLACK_BYTES, type ResolvedOptions } from './options.js';

/** The zeromq.js socket options every transport sets at construction. */
export interface CommonSocketOptions {
  linger: number;
  maxMessageSize: number;
  reconnectInterval: number;
  reconnectMaxInterval: number;
  handshakeInterval: number;
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  heartbeatTimeToLive?: number;
}

/** ZMQ_HEARTBEAT_TTL is a 16-bit count of deciseconds on the wire. */
const MAX_HEARTBEAT_TTL_MS = 6_553_500;

/**
 * Socket options common to every socket type. Passed to the constructor so
 * they apply before any bind/connect (zeromq.js warns otherwise).
 */
export function commonSocketOptions(o: ResolvedOptions): CommonSocketOptions {
  const common: CommonSocketOptions = {
    // Finite from the start, so a transport garbage-collected without close()
    // cannot hold the process open either.
    linger: o.lingerMs,
    maxMessageSize: o.maxMessageBytes + FRAMING_SLACK_BYTES,
    reconnectInterval: o.reconnectIntervalMs,
    reconnectMaxInterval: o.reconnectMaxIntervalMs,
    handshakeInterval: o.handshakeTimeoutMs,
  };
  if (o.heartbeatIntervalMs > 0) {
    common.heartbeatInterval = o.heartbeatIntervalMs;
    common.heartbeatTimeout = o.heartbeatTimeoutMs;
    common.heartbeatTimeToLive = Math.min(o.heartbeatTimeoutMs, MAX_HEARTBEAT_TTL_MS);
  }
  return common;
}

/** {@link commonSocketOptions} plus the high-water marks of a socket queueing both ways. */
export interface QueueSocketOptions extends CommonSocketOptions {
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
}

/**
 * The options of a socket that queues messages in both directions (DEALER,
 * ROUTER, XPUB, the broker's XSUB): {@link commonSocketOptions} with both
 * high-water marks from the resolved options.
 */
export function queueSocketOptions(o: ResolvedOptions): QueueSocketOptions {
  return {
    ...commonSocketOptions(o),
    sendHighWaterMark: o.sendHighWaterMark,
    receiveHighWaterMark: o.receiveHighWaterMark,
  };
}

/** The `code` of a zeromq.js error (`EAGAIN`, `EHOSTUNREACH`, ...), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

const ENDPOINT_ERRORS = new Set(['EINVAL', 'EPROTONOSUPPORT', 'ENOCOMPATPROTO', 'ENODEV']);

/** Wraps a bind/connect failure. */
export function endpointError(endpoint: string, cause: unknown): TransportError {
  if (cause instanceof TransportError) return cause;
  const code = errnoCode(cause);
  const kind: TransportErrorCode =
    code === 'EADDRINUSE'
      ? 'ADDRESS_IN_USE'
      : code !== undefined && ENDPOINT_ERRORS.has(code)
        ? 'INVALID_ENDPOINT'
        : 'INTERNAL';
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new TransportError(kind, `cannot use endpoint ${endpoint}: ${detail}`, { cause });
}

/** A `CLOSED` error for operations on a closed transport. */
export function closedError(what = 'transport'): TransportError {
  return new TransportError('CLOSED', `${what} is closed`);
}

/** A `TOO_LARGE` error for a message above `maxMessageBytes`. */
export function tooLargeError(bytes: number, max: number): TransportError {
  return new TransportError(
    'TOO_LARGE',
    `message of ${bytes} bytes exceeds maxMessageBytes ${max}`,
  );
}

/** A `QUEUE_FULL` error for `whenFull: 'error'`. */
export function queueFullError(depth: number): TransportError {
  return new TransportError('QUEUE_FULL', `send queue is full (${depth} messages)`);
}

/** Resolves after `ms` milliseconds; the timer does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}

/** Waits for `promise`, but no longer than `ms` milliseconds (close's bounded flush). */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Reads the real endpoint after a bind (port 0 or `*` become the chosen port). */
export function boundEndpoint(requested: string, lastEndpoint: string | null): string {
  return lastEndpoint ?? requested;
}

/**
 * Checks the port of a `tcp://` endpoint: libzmq takes any number and wraps it
 * (`:70000` binds port 4464, `:-1` port 65535), so out-of-range ports are
 * refused here, at once, with `INVALID_ENDPOINT`. `*` and `0` (any port) are
 * for binding only.
 */
export function checkTcpPort(endpoint: string, role: 'bind' | 'connect'): void {
  if (!endpoint.startsWith('tcp://')) return;
  const colon = endpoint.lastIndexOf(':');
  const port = colon > 'tcp://'.length - 1 ? endpoint.slice(colon + 1) : '';
  if (role === 'bind' && port === '*') return;
  const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!(n >= (role === 'bind' ? 0 : 1) && n <= 65535)) {
    throw new TransportError(
      'INVALID_ENDPOINT',
      `cannot use endpoint ${endpoint}: port ${JSON.stringify(port)} is not ${role === 'bind' ? '0-65535 or *' : '1-65535'}`,
    );
  }
}

/** The endpoint to hand to `connect()`, checked (see {@link checkTcpPort}). */
export function connectEndpoint(endpoint: string): string {
  checkTcpPort(endpoint, 'connect');
  return endpoint;
}

/** zeromq.js does not accept port 0 everywhere; `*` is the libzmq spelling of "any port". */
export function normalizeBindEndpoint(endpoint: string): string {
  checkTcpPort(endpoint, 'bind');
  return endpoint.startsWith('tcp://') ? endpoint.replace(/:0$/, ':*') : endpoint;
}

/**
 * Binds a zeromq.js socket with `bindSync` (an async bind blocks the socket
 * with EBUSY for loops that may already run) and returns the real endpoint;
 * failures become `TransportError`s naming `endpoint`.
 */
export function bindLibzmq(
  socket: { bindSync(address: string): void; readonly lastEndpoint: string | null },
  endpoint: string,
): string {
  try {
    socket.bindSync(normalizeBindEndpoint(endpoint));
  } catch (cause) {
    throw endpointError(endpoint, cause);
  }
  return boundEndpoint(endpoint, socket.lastEndpoint);
}

/**
 * Closes a zeromq.js socket after setting its linger. Not `events.close()`
 * first: closing an Observer in event-emitter mode makes zeromq.js's
 * internal receive loop reject (ENOTSOCK) with nobody to catch it. Closing
 * the socket stops the monitor, which ends the Observer cleanly.
 */
export function closeLibzmq(socket: { linger: number; close(): void }, lingerMs: number): void {
  socket.linger = lingerMs;
  socket.close();
}

const closedFrames = (): null => null;
const CLOSED: Promise<null> = Promise.resolve(null);

/**
 * The next message of a zeromq.js socket, or `null` once the socket is
 * closed (the pending receive rejects with EAGAIN; on a socket already
 * closed, `receive()` throws EBADF at once): the receive loops end their
 * iteration on `null`. One call per ZeroMQ message, which carries a whole
 * burst, so the extra `.then` is not paid per envelope.
 */
export function receiveOrClosed(socket: {
  receive(): Promise<Buffer[]>;
}): Promise<Buffer[] | null> {
  try {
    return socket.receive().then(undefined, closedFrames);
  } catch {
    return CLOSED;
  }
}
