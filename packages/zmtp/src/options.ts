/** Options shared by every socket, with their defaults. */
import type { MechanismFactory } from './mechanism.js';
import { nullMechanism } from './null-mechanism.js';

/** Options of every zmtp socket. */
export interface SocketOptions {
  /** Security mechanism; default NULL ({@link nullMechanism}). */
  readonly mechanism?: MechanismFactory;
  /** The `Identity` property sent in READY (a ROUTER peer uses it as routing id); default none. */
  readonly identity?: Uint8Array | string;
  /** Largest message (sum of its frames) accepted, checked on each frame header; default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Interval between PINGs; default 0 (no heartbeats sent). */
  readonly heartbeatIntervalMs?: number;
  /** Drop the peer when nothing arrives this long after a PING; default = heartbeatIntervalMs. */
  readonly heartbeatTimeoutMs?: number;
  /** TTL announced in PINGs (the peer drops us after this much silence); default 0 (none). Rounded to 100 ms. */
  readonly heartbeatTtlMs?: number;
  /** A connection that has not finished the handshake after this long is dropped; default 10000. */
  readonly handshakeTimeoutMs?: number;
  /** First reconnect delay after a drop or refused connect; doubles each attempt; default 100. */
  readonly reconnectIntervalMs?: number;
  /** Upper bound of the reconnect delay; default 5000. */
  readonly reconnectIntervalMaxMs?: number;
  /** A TCP connect not established within this is aborted (then retried); default 10000. */
  readonly connectTimeoutMs?: number;
  /** Accepted connections still in handshake beyond this many are refused; default 1000. */
  readonly maxPendingHandshakes?: number;
  /** Messages queued per connection beyond the kernel socket buffer; default 1000. */
  readonly sendHighWaterMark?: number;
  /** Bytes queued per connection beyond the kernel socket buffer; default 16 MiB. */
  readonly sendHighWaterBytes?: number;
  /** On close, ready connections flush and end; destroyed after this; default 1000 (0 = destroy at once). */
  readonly lingerMs?: number;
}

/** Resolved options. */
export interface ResolvedOptions {
  readonly mechanism: MechanismFactory;
  readonly identity: Uint8Array | undefined;
  readonly maxMessageBytes: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly heartbeatTtlMs: number;
  readonly handshakeTimeoutMs: number;
  readonly reconnectIntervalMs: number;
  readonly reconnectIntervalMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly sendHighWaterMark: number;
  readonly sendHighWaterBytes: number;
  readonly lingerMs: number;
}

function num(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RangeError(`${name} must be a non-negative number`);
  return v;
}

/** Applies defaults and validates. */
export function resolveOptions(o: SocketOptions): ResolvedOptions {
  const heartbeatIntervalMs = num(o.heartbeatIntervalMs, 0, 'heartbeatIntervalMs');
  return {
    mechanism: o.mechanism ?? nullMechanism(),
    identity: typeof o.identity === 'string' ? new TextEncoder().encode(o.identity) : o.identity,
    maxMessageBytes: num(o.maxMessageBytes, 64 * 1024 * 1024, 'maxMessageBytes'),
    heartbeatIntervalMs,
    heartbeatTimeoutMs: num(o.heartbeatTimeoutMs, heartbeatIntervalMs, 'heartbeatTimeoutMs'),
    heartbeatTtlMs: num(o.heartbeatTtlMs, 0, 'heartbeatTtlMs'),
    handshakeTimeoutMs: num(o.handshakeTimeoutMs, 10_000, 'handshakeTimeoutMs'),
    reconnectIntervalMs: Math.max(1, num(o.reconnectIntervalMs, 100, 'reconnectIntervalMs')),
    reconnectIntervalMaxMs: num(o.reconnectIntervalMaxMs, 5000, 'reconnectIntervalMaxMs'),
    connectTimeoutMs: num(o.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
    maxPendingHandshakes: num(o.maxPendingHandshakes, 1000, 'maxPendingHandshakes'),
    sendHighWaterMark: Math.max(1, num(o.sendHighWaterMark, 1000, 'sendHighWaterMark')),
    sendHighWaterBytes: Math.max(
      1,
      num(o.sendHighWaterBytes, 16 * 1024 * 1024, 'sendHighWaterBytes'),
    ),
    lingerMs: num(o.lingerMs, 1000, 'lingerMs'),
  };
}
