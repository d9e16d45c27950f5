/**
 * The narrow interfaces every layer above the transport programs against.
 *
 * Nothing in this file knows about ZeroMQ: `@xsmb/rpc`, `@xsmb/stream` and
 * `@xsmb/pubsub` import these with `import type` and run unchanged on the
 * ZeroMQ implementation and on the in-memory one used by unit tests.
 *
 * A "message" here is one whole logical message (bytes). How several are
 * coalesced into one ZeroMQ message (bursting) is the transport's business and
 * is specified in docs/PROTOCOL.md.
 */

/**
 * Opaque identity of a connected client as the server sees it (the ROUTER
 * routing id, as a latin1 string so it can key a `Map` cheaply).
 */
export type PeerId = string;

/** One logical message received by a server-side listener. */
export interface Inbound {
  /** Who sent it; pass it back to {@link ServerTransport.send} to answer. */
  readonly peer: PeerId;
  /** The message bytes. Valid until the consumer yields control; copy to keep. */
  readonly message: Uint8Array;
}

/**
 * Why a connection went away or could not be made.
 * - `closed`: closed locally.
 * - `disconnected`: the peer went away (process died, network dropped, heartbeat timed out).
 * - `handshake`: the security handshake failed (wrong server key, key not allowed).
 * - `protocol`: the peer sent something that broke the framing.
 * - `unresolved`: a client's tcp host name does not resolve (DNS); libzmq keeps
 *   retrying, and `connected` follows if it resolves later.
 */
export type DisconnectReason = 'closed' | 'disconnected' | 'handshake' | 'protocol' | 'unresolved';

/** Events every transport emits. Listeners must not throw (errors are swallowed). */
export interface TransportEvents {
  /**
   * A connection to (client) or from (server) a peer is up. On a client and on
   * pub/sub sockets `peer` is the remote address; on a server it is the
   * {@link PeerId} that `send` takes.
   */
  connected: {
    readonly endpoint: string;
    readonly peer?: string;
    /** A server's peer address (`host:port` for tcp), when the engine knows it (zmtp). */
    readonly address?: string;
  };
  /**
   * A connection went away (`peer` as in `connected`). Clients reconnect by
   * themselves unless closed.
   */
  disconnected: {
    readonly endpoint: string;
    readonly peer?: string;
    /** As in `connected`. */
    readonly address?: string;
    readonly reason: DisconnectReason;
  };
  /**
   * A CURVE/ZAP handshake failed; `reason` says why in words. `address` is
   * the peer's address when the engine knows it (zmtp: always).
   */
  handshakeFailed: {
    readonly endpoint: string;
    readonly reason: string;
    readonly code?: string;
    readonly address?: string;
  };
  /**
   * Messages were dropped (counted in `drops`): a frame that could not be
   * parsed or broke a limit, queued messages that could not be delivered
   * (peer gone, transport closed), or pub/sub messages at the high-water mark.
   * `count` is how many logical (or, for malformed input, ZeroMQ) messages
   * the event covers; 1 when absent.
   */
  dropped: { readonly reason: string; readonly peer?: PeerId; readonly count?: number };
}

/** A listener for one {@link TransportEvents} event. */
export type TransportListener<K extends keyof TransportEvents> = (
  event: TransportEvents[K],
) => void;

/** Counters a transport keeps; all monotonic except `queueDepth`. */
export interface TransportStats {
  /** Logical messages accepted by `send`/`publish`. */
  messagesOut: number;
  /** Logical messages handed to the consumer. */
  messagesIn: number;
  /** ZeroMQ messages sent (one burst or one large message each). */
  zmqOut: number;
  /** ZeroMQ messages received. */
  zmqIn: number;
  /** ZeroMQ messages sent that carried more than one logical message. */
  bursts: number;
  /** Logical messages waiting in the application-level send queue right now. */
  queueDepth: number;
  /** Frames or messages dropped (malformed, oversize, unroutable, HWM on pub/sub). */
  drops: number;
  /** Sends retried after a `sendTimeout` fired on a writable socket (lost wake-up guard). */
  wakeupRescues: number;
}

/** Common surface of every transport socket. */
export interface TransportBase {
  /** Registers an event listener; returns a function that removes it. */
  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void;
  /** A snapshot of the counters. */
  stats(): TransportStats;
  /**
   * Flushes what is queued (bounded by the transport's close timeout), then
   * releases the socket. Pending `send`s that cannot be flushed reject with a
   * `TransportError` (`CLOSED`). Idempotent.
   */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

/**
 * Client side of a request/response transport (a DEALER connected to one
 * endpoint). Receiving is an async iterable of whole logical messages; there is
 * exactly one consumer.
 */
export interface ClientTransport extends TransportBase, AsyncIterable<Uint8Array> {
  /** The endpoint this connection targets, e.g. `tcp://127.0.0.1:5555`. */
  readonly endpoint: string;
  /** True while the underlying connection is up (handshake done). */
  readonly connected: boolean;
  /**
   * Queues one logical message. Resolves once it is accepted into the bounded
   * send queue ("queued locally", not "delivered"). When the queue is full it
   * waits (`whenFull: 'wait'`) or rejects (`'error'`) with `QUEUE_FULL`.
   * Rejects with `TOO_LARGE` above `maxMessageBytes` and `CLOSED` after close.
   */
  send(message: Uint8Array): Promise<void>;
  /**
   * True when a `send` now would wait for room (the queue is at its message
   * or byte bound). A producer that does not await every send checks it and
   * awaits the send when it is true. Optional: without it callers assume room.
   */
  isFull?(): boolean;
  /**
   * Resolves when the connection is up, or rejects with `TIMEOUT` after
   * `timeoutMs` (default: wait forever), `CLOSED`, or `HANDSHAKE` when the
   * server refused this client's key (no retry will follow).
   */
  ready(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Optional fast path for a consumer that just took a message from the
   * iterator: hands the rest of the burst already received to `sink`
   * synchronously, one promise fewer per message. The iterator then continues
   * after them. Implementations without buffered bursts omit it.
   */
  drainBuffered?(sink: (message: Uint8Array) => void): void;
}

/**
 * Server side of a request/response transport (a ROUTER bound to one or more
 * endpoints). Receiving is an async iterable of `{ peer, message }`.
 */
export interface ServerTransport extends TransportBase, AsyncIterable<Inbound> {
  /**
   * Binds to an endpoint (`tcp://127.0.0.1:0` or `tcp://127.0.0.1:*` picks a
   * free port) and resolves with the real endpoint.
   */
  listen(endpoint: string): Promise<string>;
  /** The endpoints bound so far, as resolved by `listen`. */
  readonly endpoints: readonly string[];
  /**
   * The largest logical message `send` accepts (`TOO_LARGE` beyond), so a
   * caller can tell before sending. Optional for other implementations.
   */
  readonly maxMessageBytes?: number;
  /**
   * Queues one logical message for `peer`. Same contract as
   * {@link ClientTransport.send}; a peer that is gone makes it reject with
   * `UNREACHABLE` (never a silent drop).
   */
  send(peer: PeerId, message: Uint8Array): Promise<void>;
  /**
   * True when a `send` to `peer` now would wait for room (its queue is at its
   * message or byte bound). A producer that does not await every send checks
   * it and awaits the send when it is true, so what it queues stays bounded.
   * Optional: without it callers assume there is room.
   */
  isFull?(peer: PeerId): boolean;
  /** As {@link ClientTransport.drainBuffered}, with the sender of each message. */
  drainBuffered?(sink: (peer: PeerId, message: Uint8Array) => void): void;
}

/** Creates client connections; lets upper layers open one per endpoint. */
export type ClientTransportFactory = (endpoint: string) => ClientTransport;

/** One message received by a subscriber. */
export interface Delivery {
  /** The topic frame as published (ZeroMQ filters subscriptions on its prefix). */
  readonly topic: Uint8Array;
  /** The logical message. */
  readonly message: Uint8Array;
}

/** Publishing side of pub/sub (PUB, or XPUB to see subscriptions). */
export interface PublisherTransport extends TransportBase {
  /** Binds like {@link ServerTransport.listen}. */
  listen(endpoint: string): Promise<string>;
  /** Connects to a broker's XSUB side instead of binding. */
  connect(endpoint: string): void;
  /** The endpoints bound so far. */
  readonly endpoints: readonly string[];
  /**
   * Queues one message on a topic. Consecutive messages published in the
   * same tick on the same topic frame travel as one burst; messages leave in
   * publish order, whatever their topics. Overflow follows the `slowSubscriber`
   * option: `'drop'` (counted in `drops`) or `'block'` (publish waits).
   */
  publish(topic: Uint8Array, message: Uint8Array): Promise<void>;
  /** Number of distinct subscriptions seen (XPUB notifications), per topic prefix. */
  subscriptions(): ReadonlyMap<string, number>;
  /**
   * Resolves when at least `count` subscribe notifications matching `topic`
   * (any topic when omitted) were seen; rejects with `TIMEOUT` after `timeoutMs`.
   */
  waitForSubscribers(
    count: number,
    options?: { topic?: Uint8Array; timeoutMs?: number },
  ): Promise<void>;
}

/** Subscribing side of pub/sub (SUB connected to one or more publishers or a broker). */
export interface SubscriberTransport extends TransportBase, AsyncIterable<Delivery> {
  /** Connects to one more publisher or broker endpoint. */
  connect(endpoint: string): void;
  /**
   * Undoes `connect(endpoint)` (same string): closes that connection and
   * stops reconnecting to it, so nothing more arrives from that publisher
   * and its address is no longer dialled (a publisher discovery removed).
   * Messages it sent that were already received are still delivered. An
   * endpoint never connected to is ignored.
   */
  disconnect(endpoint: string): void;
  /** Subscribes to a topic prefix (bytes). */
  subscribe(prefix: Uint8Array): void;
  /** Removes one subscription made with `subscribe`. */
  unsubscribe(prefix: Uint8Array): void;
  /**
   * Optional fast path, as {@link ClientTransport.drainBuffered}: hands the
   * rest of the burst already received to `sink` synchronously, with its
   * topic frame, until the burst ends or `sink` returns `false` (the consumer
   * must pause: the remaining entries stay for the iterator). Each entry is
   * given as `burst[start, end)` rather than as a view of its own: one
   * allocation fewer per message for a consumer that reads it in place. The
   * bytes are only valid during the call (copy what must outlive it).
   */
  drainBuffered?(
    sink: (topic: Uint8Array, burst: Uint8Array, start: number, end: number) => boolean,
  ): void;
}
