/**
 * An in-memory implementation of the transport interfaces, for the unit tests
 * of the layers above. It keeps the contracts that matter to them — whole
 * messages in order, bounded queues with backpressure, connect/disconnect
 * events, `CLOSED`/`UNREACHABLE`/`TOO_LARGE` errors — and adds fault
 * injection (drop, delay, disconnect, kill) that real sockets make awkward.
 *
 * Messages are copied on delivery so that a layer which mutates or reuses a
 * buffer after `send` shows the same bug here as on a real socket.
 */

import { TransportError } from './errors.js';
import type {
  ClientTransport,
  DisconnectReason,
  Inbound,
  PeerId,
  ServerTransport,
  TransportEvents,
  TransportListener,
  TransportStats,
} from './types.js';

/** Options of the in-memory transports (a subset of the ZeroMQ ones). */
export interface MemoryTransportOptions {
  /** Messages the receiving side buffers before senders wait. Default `1024`. */
  queueDepth?: number;
  /** Largest message accepted by `send`, in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** Fault injection on a {@link MemoryNetwork}. */
export interface MemoryFaults {
  /**
   * Drops the next `count` messages that match `filter` (all messages when
   * omitted), in either direction. Dropped messages are counted in the
   * sender's `drops`.
   */
  drop(
    count: number,
    filter?: (message: Uint8Array, direction: 'toServer' | 'toClient') => boolean,
  ): void;
  /** Delays every delivery by `ms` (0 turns it off). Order is kept. */
  delay(ms: number): void;
  /**
   * Breaks every connection to `endpoint` as a network failure would: clients
   * see `disconnected`, messages in flight are lost. With `reconnect` (the
   * default) they reconnect on the next macrotask, as ZeroMQ does.
   */
  disconnect(endpoint: string, options?: { reconnect?: boolean }): void;
  /**
   * Kills the server at `endpoint`, as SIGKILL would: no flush, clients see
   * `disconnected`, and nothing answers there until a new server listens.
   */
  kill(endpoint: string): void;
}

/** A private network of in-memory servers and clients. */
export interface MemoryNetwork {
  /** Creates a server; `listen('memory://name')` or `listen('memory://*')` (a fresh name). */
  server(options?: MemoryTransportOptions): ServerTransport;
  /** Creates a client connection to `endpoint` (usable as a `ClientTransportFactory`). */
  client(endpoint: string, options?: MemoryTransportOptions): ClientTransport;
  /** Fault injection. */
  readonly faults: MemoryFaults;
}

const DEFAULT_DEPTH = 1024;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const resolved: Promise<void> = Promise.resolve();

function newStats(): TransportStats {
  return {
    messagesOut: 0,
    messagesIn: 0,
    zmqOut: 0,
    zmqIn: 0,
    bursts: 0,
    queueDepth: 0,
    drops: 0,
    wakeupRescues: 0,
  };
}

/** Minimal typed event emitter; a listener that throws cannot break the transport. */
class Emitter {
  readonly #listeners = new Map<string, Set<(e: never) => void>>();

  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (e: never) => void);
    return () => set.delete(listener as (e: never) => void);
  }

  emit<K extends keyof TransportEvents>(event: K, payload: TransportEvents[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as TransportListener<K>)(payload);
      } catch {
        // Observers must not be able to break delivery.
      }
    }
  }
}

/**
 * A bounded single-consumer queue: `push` resolves at once while there is
 * room and waits (backpressure) when full; the consumer iterates.
 */
class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #head = 0;
  #reader: ((r: IteratorResult<T>) => void) | undefined;
  readonly #writers: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #ended = false;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): Promise<void> {
    if (this.#ended) return Promise.reject(new TransportError('CLOSED', 'transport is closed'));
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader({ value: item, done: false });
      return resolved;
    }
    this.#items.push(item);
    if (this.size < this.capacity) return resolved;
    return new Promise((resolve, reject) => this.#writers.push({ resolve, reject }));
  }

  /** Ends iteration after the buffered items; pending writers fail with CLOSED. */
  end(discard = false): void {
    if (this.#ended) return;
    this.#ended = true;
    if (discard) {
      this.#items.length = 0;
      this.#head = 0;
    }
    for (const w of this.#writers.splice(0))
      w.reject(new TransportError('CLOSED', 'transport is closed'));
    if (this.size === 0 && this.#reader) {
      const reader = this.#reader;
      this.#reader = undefined;
      reader({ value: undefined, done: true });
    }
  }

  /** Drops everything buffered (a broken connection loses what was in flight). */
  clear(): number {
    const n = this.size;
    this.#items.length = 0;
    this.#head = 0;
    for (const w of this.#writers.splice(0)) w.resolve();
    return n;
  }

  #take(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      // Never quite drained: drop the consumed slots instead of growing forever.
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#writers.length > 0 && this.size < this.capacity) this.#writers.shift()?.resolve();
    return item;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (this.size > 0) return Promise.resolve({ value: this.#take(), done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#reader = resolve;
        });
      },
      return: (): Promise<IteratorResult<T>> => {
        this.end(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

interface Link {
  readonly peer: PeerId;
  readonly client: MemoryClient;
}

class MemoryServer implements ServerTransport {
  readonly #net: Network;
  readonly #emitter = new Emitter();
  readonly #stats = newStats();
  readonly inbox: Channel<Inbound>;
  readonly links = new Map<PeerId, Link>();
  readonly endpoints: string[] = [];
  readonly maxMessageBytes: number;
  closed = false;

  constructor(net: Network, options: MemoryTransportOptions) {
    this.#net = net;
    this.inbox = new Channel(options.queueDepth ?? DEFAULT_DEPTH);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closed) throw new TransportError('CLOSED', 'transport is closed');
    const real = this.#net.bind(endpoint, this);
    this.endpoints.push(real);
    return real;
  }

  send(peer: PeerId, message: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport is closed'));
    if (message.byteLength > this.maxMessageBytes) {
      return Promise.reject(
        new TransportError(
          'TOO_LARGE',
          `message of ${message.byteLength} bytes exceeds ${this.maxMessageBytes}`,
        ),
      );
    }
    const link = this.links.get(peer);
    if (!link)
      return Promise.reject(new TransportError('UNREACHABLE', `no connected peer ${peer}`));
    this.#stats.messagesOut++;
    this.#stats.zmqOut++;
    return this.#net.deliver(message, 'toClient', this.#stats, (copy) => link.client.receive(copy));
  }

  receive(peer: PeerId, message: Uint8Array): Promise<void> {
    this.#stats.messagesIn++;
    this.#stats.zmqIn++;
    return this.inbox.push({ peer, message });
  }

  attach(link: Link): void {
    this.links.set(link.peer, link);
    this.#emitter.emit('connected', { endpoint: link.client.endpoint, peer: link.peer });
  }

  detach(peer: PeerId, reason: DisconnectReason): void {
    const link = this.links.get(peer);
    if (!link) return;
    this.links.delete(peer);
    this.#emitter.emit('disconnected', { endpoint: link.client.endpoint, peer, reason });
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    return this.#emitter.on(event, listener);
  }

  stats(): TransportStats {
    return { ...this.#stats, queueDepth: this.inbox.size };
  }

  /** Abrupt stop (SIGKILL): no flush, links cut. */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    for (const endpoint of this.endpoints) this.#net.unbind(endpoint, this);
    for (const link of [...this.links.values()]) link.client.drop('disconnected');
    this.links.clear();
    this.inbox.end(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const endpoint of this.endpoints) this.#net.unbind(endpoint, this);
    // Let deliveries already queued on the microtask/timer queue land first.
    await this.#net.settle();
    for (const link of [...this.links.values()]) link.client.drop('disconnected');
    this.links.clear();
    this.inbox.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    return this.inbox[Symbol.asyncIterator]();
  }
}

class MemoryClient implements ClientTransport {
  readonly endpoint: string;
  readonly #net: Network;
  readonly #emitter = new Emitter();
  readonly #stats = newStats();
  readonly #inbox: Channel<Uint8Array>;
  readonly #pending: Uint8Array[] = [];
  readonly #maxMessageBytes: number;
  readonly #depth: number;
  readonly #readyWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  #server: MemoryServer | undefined;
  #peer: PeerId | undefined;
  closed = false;

  constructor(net: Network, endpoint: string, options: MemoryTransportOptions) {
    this.#net = net;
    this.endpoint = endpoint;
    this.#depth = options.queueDepth ?? DEFAULT_DEPTH;
    this.#inbox = new Channel(this.#depth);
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
  }

  get connected(): boolean {
    return this.#server !== undefined;
  }

  /** Called by the network when a server listens on our endpoint. */
  link(server: MemoryServer, peer: PeerId): void {
    if (this.closed) return;
    this.#server = server;
    this.#peer = peer;
    server.attach({ peer, client: this });
    this.#emitter.emit('connected', { endpoint: this.endpoint });
    for (const w of this.#readyWaiters) w.resolve();
    this.#readyWaiters.clear();
    // Messages queued while disconnected go out now, as ZeroMQ's connect queue does.
    for (const message of this.#pending.splice(0)) void this.#forward(message).catch(() => {});
  }

  /** The connection broke (peer killed, network fault). */
  drop(reason: DisconnectReason): void {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const peer = this.#peer as PeerId;
    this.#peer = undefined;
    server.detach(peer, reason);
    this.#emitter.emit('disconnected', { endpoint: this.endpoint, reason });
  }

  receive(message: Uint8Array): Promise<void> {
    if (this.closed) return resolved;
    this.#stats.messagesIn++;
    this.#stats.zmqIn++;
    return this.#inbox.push(message);
  }

  send(message: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport is closed'));
    if (message.byteLength > this.#maxMessageBytes) {
      return Promise.reject(
        new TransportError(
          'TOO_LARGE',
          `message of ${message.byteLength} bytes exceeds ${this.#maxMessageBytes}`,
        ),
      );
    }
    this.#stats.messagesOut++;
    if (!this.#server) {
      if (this.#pending.length >= this.#depth) {
        return Promise.reject(
          new TransportError('QUEUE_FULL', 'send queue is full while disconnected'),
        );
      }
      this.#pending.push(message.slice());
      return resolved;
    }
    return this.#forward(message);
  }

  #forward(message: Uint8Array): Promise<void> {
    const server = this.#server;
    const peer = this.#peer;
    if (!server || peer === undefined) {
      this.#pending.push(message);
      return resolved;
    }
    this.#stats.zmqOut++;
    return this.#net.deliver(message, 'toServer', this.#stats, (copy) =>
      server.receive(peer, copy),
    );
  }

  ready(options?: { timeoutMs?: number }): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport is closed'));
    if (this.#server) return resolved;
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#readyWaiters.add(waiter);
      if (options?.timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          this.#readyWaiters.delete(waiter);
          reject(
            new TransportError(
              'TIMEOUT',
              `not connected to ${this.endpoint} after ${options.timeoutMs} ms`,
            ),
          );
        }, options.timeoutMs);
        waiter.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      }
    });
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    return this.#emitter.on(event, listener);
  }

  stats(): TransportStats {
    return { ...this.#stats, queueDepth: this.#pending.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.#net.settle();
    this.closed = true;
    this.#net.forget(this);
    const server = this.#server;
    if (server && this.#peer !== undefined) server.detach(this.#peer, 'closed');
    this.#server = undefined;
    for (const w of this.#readyWaiters)
      w.reject(new TransportError('CLOSED', 'transport is closed'));
    this.#readyWaiters.clear();
    this.#inbox.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#inbox[Symbol.asyncIterator]();
  }
}

class Network implements MemoryNetwork {
  readonly #servers = new Map<string, MemoryServer>();
  readonly #clients = new Set<MemoryClient>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextPeer = 0;
  #nextName = 0;
  #delayMs = 0;
  #drops: Array<{
    remaining: number;
    filter: ((m: Uint8Array, d: 'toServer' | 'toClient') => boolean) | undefined;
  }> = [];

  readonly faults: MemoryFaults = {
    drop: (count, filter) => {
      this.#drops.push({ remaining: count, filter });
    },
    delay: (ms) => {
      this.#delayMs = ms;
    },
    disconnect: (endpoint, options) => {
      const reconnect = options?.reconnect ?? true;
      const server = this.#servers.get(endpoint);
      for (const client of this.#clients) {
        if (client.endpoint !== endpoint) continue;
        client.drop('disconnected');
        if (reconnect && server) setImmediate(() => this.#connect(client));
      }
    },
    kill: (endpoint) => {
      this.#servers.get(endpoint)?.kill();
    },
  };

  server(options: MemoryTransportOptions = {}): ServerTransport {
    return new MemoryServer(this, options);
  }

  client(endpoint: string, options: MemoryTransportOptions = {}): ClientTransport {
    if (!endpoint.startsWith('memory://')) {
      throw new TransportError('INVALID_ENDPOINT', `not a memory:// endpoint: ${endpoint}`);
    }
    const client = new MemoryClient(this, endpoint, options);
    this.#clients.add(client);
    // Connecting takes a turn of the event loop, as a real handshake does.
    setImmediate(() => this.#connect(client));
    return client;
  }

  #connect(client: MemoryClient): void {
    if (client.closed || client.connected) return;
    const server = this.#servers.get(client.endpoint);
    if (server && !server.closed) client.link(server, `peer-${++this.#nextPeer}`);
  }

  bind(endpoint: string, server: MemoryServer): string {
    if (!endpoint.startsWith('memory://')) {
      throw new TransportError('INVALID_ENDPOINT', `not a memory:// endpoint: ${endpoint}`);
    }
    const real = endpoint === 'memory://*' ? `memory://auto-${++this.#nextName}` : endpoint;
    if (this.#servers.has(real))
      throw new TransportError('INVALID_ENDPOINT', `address in use: ${real}`);
    this.#servers.set(real, server);
    for (const client of this.#clients)
      if (client.endpoint === real) setImmediate(() => this.#connect(client));
    return real;
  }

  unbind(endpoint: string, server: MemoryServer): void {
    if (this.#servers.get(endpoint) === server) this.#servers.delete(endpoint);
  }

  forget(client: MemoryClient): void {
    this.#clients.delete(client);
  }

  /** Resolves when deliveries scheduled so far have landed. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  deliver(
    message: Uint8Array,
    direction: 'toServer' | 'toClient',
    stats: TransportStats,
    push: (copy: Uint8Array) => Promise<void>,
  ): Promise<void> {
    for (const rule of this.#drops) {
      if (rule.remaining > 0 && (!rule.filter || rule.filter(message, direction))) {
        rule.remaining--;
        if (rule.remaining === 0) this.#drops = this.#drops.filter((r) => r.remaining > 0);
        stats.drops++;
        return resolved;
      }
    }
    const copy = message.slice();
    if (this.#delayMs <= 0) return push(copy);
    const delivery = new Promise<void>((resolve) => setTimeout(resolve, this.#delayMs)).then(() =>
      push(copy),
    );
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery)).catch(() => {});
    return resolved;
  }
}

/**
 * Creates a private in-memory network. Servers listen on `memory://name`
 * endpoints and clients connect to them; `faults` injects failures.
 *
 * @example
 * const net = createMemoryNetwork();
 * const server = net.server();
 * const endpoint = await server.listen('memory://*');
 * const client = net.client(endpoint);
 */
export function createMemoryNetwork(): MemoryNetwork {
  return new Network();
}
