/**
 * Options shared by every ZeroMQ transport factory, their defaults, and the
 * validation that turns user input into a fully resolved settings object.
 */

import { availableParallelism } from 'node:os';
import type { Logger } from '@xsmb/base';

/** How logical messages are coalesced into ZeroMQ messages (see docs/PROTOCOL.md). */
export interface BurstOptions {
  /**
   * Most logical messages in one burst (one ZeroMQ message, one frame).
   * Measured (200-byte messages, one direction): 64 gave 2.9M msg/s, 128 and
   * 256 gave 3.7M, more gave little more.
   * @default 256
   */
  readonly maxMessages?: number;
  /**
   * Most bytes in one burst frame, counting the tag byte and the 4-byte length
   * of each entry. A single message always fits (it is never split). Also
   * capped at `maxMessageBytes + 5` so a peer with the same limit accepts it.
   * @default 65536
   */
  readonly maxBytes?: number;
  /**
   * Messages larger than this travel alone as a "large" ZeroMQ message
   * (two frames, the message bytes not copied).
   * @default 32768
   */
  readonly largeMessageBytes?: number;
  /**
   * Client and server transports: when this many messages are queued for one
   * peer and no send is in progress, they leave at once instead of at the
   * end of the event loop's turn. The peer starts working on them while this
   * side is still producing the rest (pipelining): with 64 calls in flight,
   * 32 raised unary throughput from 82k to 117k calls/s on two cores. On a
   * single core (a process whose CPU affinity allows one CPU) there is no
   * peer running meanwhile: each early burst wakes the other process for a
   * short answer, which measured 49–59k calls/s against 76–80k without it
   * (pinned, 64 in flight). So the default waits for the end of the turn
   * there. Set it to `maxMessages` or more to always wait.
   * Publishers always wait: on a one-way flow, fuller bursts win.
   * @default 32, or `maxMessages` when the process can run on one CPU only
   */
  readonly flushAt?: number;
}

/** Options every ZeroMQ transport takes. */
export interface TransportOptions {
  /**
   * What carries the messages: `'zmtp'` speaks ZeroMQ's wire protocol (ZMTP
   * 3.1) in the Node process itself over node:net (`@xsmb/zmtp`: no native
   * threads, raw-TCP latency); `'libzmq'` uses zeromq.js. Both interoperate
   * with any ZeroMQ peer. `inproc://` exists only in libzmq: a client or
   * subscriber whose endpoint is inproc, and a server whose first `listen`
   * is inproc, use libzmq by themselves; a publisher on inproc needs
   * `engine: 'libzmq'`. When omitted, the `XSMB_ENGINE` environment variable
   * decides (`zmtp` or `libzmq`), else `'zmtp'`.
   * @default 'zmtp'
   */
  readonly engine?: 'zmtp' | 'libzmq';
  /**
   * Logical messages the application-level send queue holds before `send`
   * waits or fails (see `whenFull`). On a server the bound applies per peer.
   * @default 4096
   */
  readonly sendQueueDepth?: number;
  /**
   * Bytes of logical messages the send queue holds (a server's: per peer)
   * before `send` waits or fails (see `whenFull`), so one connection cannot
   * hold more than this across all its calls however small its messages. A
   * message larger than the bound passes alone. Clients and servers;
   * publishers are bounded by `sendQueueDepth` only.
   * @default 8388608 (8 MiB)
   */
  readonly sendQueueBytes?: number;
  /**
   * What `send`/`publish` does when the send queue is full: `'wait'` until
   * there is room, or `'error'` (reject with `QUEUE_FULL`).
   * @default 'wait'
   */
  readonly whenFull?: 'wait' | 'error';
  /**
   * ZMQ_SNDHWM: ZeroMQ messages (bursts, not logical messages) libzmq queues
   * per peer before the socket stops accepting sends. Lower than libzmq's
   * 1000 because a burst can be 64 KiB: 100 bounds libzmq's buffer at about
   * 6.4 MiB per peer and measured as fast as 1000.
   * @default 100
   */
  readonly sendHighWaterMark?: number;
  /**
   * ZMQ_RCVHWM: ZeroMQ messages (bursts) libzmq queues per peer on the
   * receiving side.
   * @default 100
   */
  readonly receiveHighWaterMark?: number;
  /** Bursting limits; see {@link BurstOptions}. */
  readonly burst?: BurstOptions;
  /**
   * Largest logical message in bytes. `send` rejects larger messages with
   * `TOO_LARGE`; maps to ZMQ_MAXMSGSIZE (plus 5 bytes of framing slack) so a
   * peer sending a larger frame is disconnected by libzmq before it is buffered.
   * Both ends of a connection should use the same value.
   * @default 16777216 (16 MiB)
   */
  readonly maxMessageBytes?: number;
  /**
   * ZMQ_HEARTBEAT_IVL: interval between ZMTP PINGs; `0` disables heartbeats.
   * @default 1000
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * ZMQ_HEARTBEAT_TIMEOUT and ZMQ_HEARTBEAT_TTL: a connection with no traffic
   * for this long after a PING is dropped (and the peer is told to drop it
   * after the same time). Rounded down to 100 ms by libzmq for the TTL.
   * @default 3000
   */
  readonly heartbeatTimeoutMs?: number;
  /**
   * ZMQ_HANDSHAKE_IVL: a connection whose ZMTP/CURVE handshake has not
   * completed after this long is dropped (so half-open or hostile peers cannot
   * hold a connection, and a handshake the authenticator never answers fails).
   * @default 10000
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * ZMQ_RECONNECT_IVL: first wait before reconnecting a dropped connection.
   * @default 100
   */
  readonly reconnectIntervalMs?: number;
  /**
   * ZMQ_RECONNECT_IVL_MAX: the reconnect wait doubles up to this; `0` keeps it
   * at `reconnectIntervalMs`.
   * @default 2000
   */
  readonly reconnectMaxIntervalMs?: number;
  /**
   * ZMQ_LINGER set at close: how long libzmq may keep pushing messages it
   * already accepted after `close()`. Must be finite: libzmq's default (-1)
   * keeps the process alive forever when a peer is gone.
   * @default 200
   */
  readonly lingerMs?: number;
  /**
   * How long `close()` waits for the application send queue to drain into
   * libzmq before rejecting the rest with `CLOSED`.
   * @default 1000
   */
  readonly closeTimeoutMs?: number;
  /**
   * ZMQ_SNDTIMEO for the writer loop: a send that waits this long is retried,
   * which rescues the lost wake-up seen with zeromq.js (counted in
   * `wakeupRescues`). Not a delivery timeout: nothing is dropped when it fires.
   * @default 20
   */
  readonly sendTimeoutMs?: number;
  /**
   * Where the transport logs its connection events (connected, disconnected,
   * refused handshakes with the peer's address, mechanism, reason and code,
   * dropped messages: the first few, then summaries), with
   * `component: 'transport'` on every line. A pino logger fits; see
   * `Logger` in `@xsmb/base`. Nothing is logged per message.
   * @default silent (no listener attached, nothing built)
   */
  readonly logger?: Logger;
}

/** Burst limits after defaults and caps. */
export interface ResolvedBurst {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly largeMessageBytes: number;
  readonly flushAt: number;
}

/** Every option resolved to a concrete value. */
export interface ResolvedOptions {
  readonly sendQueueDepth: number;
  readonly sendQueueBytes: number;
  readonly whenFull: 'wait' | 'error';
  readonly sendHighWaterMark: number;
  readonly receiveHighWaterMark: number;
  readonly burst: ResolvedBurst;
  readonly maxMessageBytes: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly reconnectIntervalMs: number;
  readonly reconnectMaxIntervalMs: number;
  readonly lingerMs: number;
  readonly closeTimeoutMs: number;
  readonly sendTimeoutMs: number;
}

/** The defaults, in one place (the README table is generated from the same numbers). */
export const DEFAULTS: ResolvedOptions = Object.freeze({
  sendQueueDepth: 4096,
  sendQueueBytes: 8 * 1024 * 1024,
  whenFull: 'wait',
  sendHighWaterMark: 100,
  receiveHighWaterMark: 100,
  burst: Object.freeze({
    maxMessages: 256,
    maxBytes: 65_536,
    largeMessageBytes: 32_768,
    flushAt: 32,
  }),
  maxMessageBytes: 16 * 1024 * 1024,
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 3000,
  handshakeTimeoutMs: 10_000,
  reconnectIntervalMs: 100,
  reconnectMaxIntervalMs: 2000,
  lingerMs: 200,
  closeTimeoutMs: 1000,
  sendTimeoutMs: 20,
});

/** CPUs this process may run on (its affinity mask), read once. */
let cpus: number | undefined;

/**
 * `burst.flushAt` when not given: pipelining only pays when the peer can
 * work on an early burst at the same time, that is with more than one CPU.
 */
function defaultFlushAt(maxMessages: number): number {
  cpus ??= availableParallelism();
  return cpus > 1 ? DEFAULTS.burst.flushAt : maxMessages;
}

/** Bytes a burst adds around one entry: the tag byte and the u32 length. */
export const FRAMING_SLACK_BYTES = 5;

function int(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates options and fills in defaults. Throws `TypeError` on a value that
 * cannot work (these are programming errors, not runtime conditions).
 */
export function resolveOptions(options: TransportOptions = {}): ResolvedOptions {
  const maxMessageBytes = int(
    'maxMessageBytes',
    options.maxMessageBytes,
    DEFAULTS.maxMessageBytes,
    1,
  );
  // libzmq takes ZMQ_MAXMSGSIZE as int64 but zeromq.js validates it as a JS
  // number; keep well inside 2^31 so the framing slack never overflows.
  if (maxMessageBytes > 2 ** 31 - 1 - FRAMING_SLACK_BYTES) {
    throw new TypeError('maxMessageBytes must be below 2 GiB');
  }
  const whenFull = options.whenFull ?? DEFAULTS.whenFull;
  if (whenFull !== 'wait' && whenFull !== 'error') {
    throw new TypeError(`whenFull must be 'wait' or 'error', got ${String(whenFull)}`);
  }
  const b = options.burst ?? {};
  const maxMessages = int('burst.maxMessages', b.maxMessages, DEFAULTS.burst.maxMessages, 1);
  const burst: ResolvedBurst = {
    maxMessages,
    maxBytes: Math.min(
      int('burst.maxBytes', b.maxBytes, DEFAULTS.burst.maxBytes, FRAMING_SLACK_BYTES),
      maxMessageBytes + FRAMING_SLACK_BYTES,
    ),
    largeMessageBytes: int(
      'burst.largeMessageBytes',
      b.largeMessageBytes,
      DEFAULTS.burst.largeMessageBytes,
      0,
    ),
    flushAt: int('burst.flushAt', b.flushAt, defaultFlushAt(maxMessages), 1),
  };
  const heartbeatIntervalMs = int(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs,
    DEFAULTS.heartbeatIntervalMs,
    0,
  );
  const heartbeatTimeoutMs = int(
    'heartbeatTimeoutMs',
    options.heartbeatTimeoutMs,
    DEFAULTS.heartbeatTimeoutMs,
    1,
  );
  return {
    sendQueueDepth: int('sendQueueDepth', options.sendQueueDepth, DEFAULTS.sendQueueDepth, 1),
    sendQueueBytes: int('sendQueueBytes', options.sendQueueBytes, DEFAULTS.sendQueueBytes, 1),
    whenFull,
    sendHighWaterMark: int(
      'sendHighWaterMark',
      options.sendHighWaterMark,
      DEFAULTS.sendHighWaterMark,
      0,
    ),
    receiveHighWaterMark: int(
      'receiveHighWaterMark',
      options.receiveHighWaterMark,
      DEFAULTS.receiveHighWaterMark,
      0,
    ),
    burst,
    maxMessageBytes,
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    handshakeTimeoutMs: int(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs,
      DEFAULTS.handshakeTimeoutMs,
      0,
    ),
    reconnectIntervalMs: int(
      'reconnectIntervalMs',
      options.reconnectIntervalMs,
      DEFAULTS.reconnectIntervalMs,
      1,
    ),
    reconnectMaxIntervalMs: int(
      'reconnectMaxIntervalMs',
      options.reconnectMaxIntervalMs,
      DEFAULTS.reconnectMaxIntervalMs,
      0,
    ),
    lingerMs: int('lingerMs', options.lingerMs, DEFAULTS.lingerMs, 0),
    closeTimeoutMs: int('closeTimeoutMs', options.closeTimeoutMs, DEFAULTS.closeTimeoutMs, 0),
    sendTimeoutMs: int('sendTimeoutMs', options.sendTimeoutMs, DEFAULTS.sendTimeoutMs, 1),
  };
}
