/**
 * An in-memory implementation of the transport interfaces, for the unit tests
 * of the layers above. It keeps the contracts that matter to them — whole
 * messages in order, bounded queues with backpressure, connect/disconnect
 * events, `CLOSED`/`UNREACHABLE`/`TOO_LARGE` errors, prefix subscriptions
 * with the slow-subscriber policy — and adds fault injection (drop, delay,
 * disconnect, kill) that real sockets make awkward.
 *
 * Messages are copied on delivery so that a layer which mutates or reuses a
 * buffer after `send` shows the same bug here as on a real socket.
 *
 * The pieces: memory-network.ts (endpoints, links, faults), memory-server.ts,
 * memory-client.ts, memory-publisher.ts, memory-subscriber.ts,
 * memory-channel.ts (the bounded queue between client and server).
 */

import type { Logger } from '@xsmb/base';
import type { SlowSubscriberPolicy } from './fanout.js';
import { MemoryNetworkCore } from './memory-network.js';
import type {
  ClientTransport,
  PublisherTransport,
  ServerTransport,
  SubscriberTransport,
} from './types.js';

/** Options of the in-memory transports (a subset of the ZeroMQ ones). */
export interface MemoryTransportOptions {
  /** Messages the receiving side buffers before senders wait. Default `1024`. */
  queueDepth?: number;
  /** Largest message accepted by `send`, in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /**
   * Where connection changes and drops are logged (pino-compatible); see the
   * package README's Logging section. Default: silent.
   */
  readonly logger?: Logger;
}

/** Fault injection on a {@link MemoryNetwork}. */
export interface MemoryFaults {
  /**
   * Drops the next `count` client/server messages that match `filter` (all
   * messages when omitted), in either direction. Dropped messages are
   * counted in the sender's `drops`.
   */
  drop(
    count: number,
    filter?: (message: Uint8Array, direction: 'toServer' | 'toClient') => boolean,
  ): void;
  /** Delays every client/server delivery by `ms` (0 turns it off). Order is kept. */
  delay(ms: number): void;
  /**
   * Breaks every connection to `endpoint` as a network failure would: clients
   * and subscribers see `disconnected`, messages in flight are lost. With
   * `reconnect` (the default) they reconnect on the next macrotask, as
   * ZeroMQ does (subscribers subscribe again).
   */
  disconnect(endpoint: string, options?: { reconnect?: boolean }): void;
  /**
   * Kills the server or publisher at `endpoint`, as SIGKILL would: no
   * flush, clients and subscribers see `disconnected`, and nothing answers
   * there until a new one listens.
   */
  kill(endpoint: string): void;
}

/**
 * Options of a memory publisher: the bounds and policies of the real
 * publisher transport that make sense in memory.
 */
export interface MemoryPublisherOptions {
  /** Largest message accepted by `publish`, in bytes. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Messages queued by `publish` before it waits (or fails). Default `4096`. */
  readonly sendQueueDepth?: number;
  /** A full send queue makes `publish` wait (`'wait'`) or reject with `QUEUE_FULL`. Default `'wait'`. */
  readonly whenFull?: 'wait' | 'error';
  /**
   * When a matching subscriber's queue is full: `'drop'` the message for
   * every subscriber (counted in `drops`, as ZMQ_XPUB_NODROP makes libzmq
   * do) or `'block'` until it has room. Default `'drop'`.
   */
  readonly slowSubscriber?: SlowSubscriberPolicy;
  /** How long `close()` tries to deliver what is queued. Default `1000`. */
  readonly closeTimeoutMs?: number;
  /**
   * Where connection changes and drops are logged (pino-compatible); see the
   * package README's Logging section. Default: silent.
   */
  readonly logger?: Logger;
}

/** Options of a memory subscriber. */
export interface MemorySubscriberOptions {
  /** Endpoints to connect to right away; more with `connect()`. Default: none. */
  readonly endpoints?: readonly string[];
  /**
   * Messages buffered before this subscriber counts as slow (its high-water
   * mark; the publisher's `slowSubscriber` policy applies). Default `1024`.
   */
  readonly queueDepth?: number;
  /** Larger messages are dropped here (counted in `drops`). Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Where connection changes and drops are logged (pino-compatible); see the
   * package README's Logging section. Default: silent.
   */
  readonly logger?: Logger;
}

/** A private network of in-memory servers, clients, publishers and subscribers. */
export interface MemoryNetwork {
  /** Creates a server; `listen('memory://name')` or `listen('memory://*')` (a fresh name). */
  server(options?: MemoryTransportOptions): ServerTransport;
  /** Creates a client connection to `endpoint` (usable as a `ClientTransportFactory`). */
  client(endpoint: string, options?: MemoryTransportOptions): ClientTransport;
  /**
   * Creates a publisher; `listen('memory://name')` or `listen('memory://*')`.
   * It cannot `connect()` (there is no memory broker).
   */
  publisher(options?: MemoryPublisherOptions): PublisherTransport;
  /** Creates a subscriber; `connect()` it to publisher endpoints and `subscribe()`. */
  subscriber(options?: MemorySubscriberOptions): SubscriberTransport;
  /** Fault injection. */
  readonly faults: MemoryFaults;
}

/**
 * Creates a private in-memory network. Servers and publishers listen on
 * `memory://name` endpoints, clients and subscribers connect to them;
 * `faults` injects failures.
 *
 * @example
 * const net = createMemoryNetwork();
 * const server = net.server();
 * const endpoint = await server.listen('memory://*');
 * const client = net.client(endpoint);
 */
export function createMemoryNetwork(): MemoryNetwork {
  return new MemoryNetworkCore();
}
