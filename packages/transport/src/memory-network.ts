/**
 * The in-memory network (see memory.ts): which server or publisher listens
 * on which `memory://` name, linking clients and subscribers to them (now,
 * or when one listens later), delivery with copies, and fault injection.
 */

import type { Logger } from '@xsmb/base';
import { TransportError } from './errors.js';
import { type EventLogSetup, logTransportEvents } from './event-log.js';
import type {
  MemoryFaults,
  MemoryNetwork,
  MemoryPublisherOptions,
  MemorySubscriberOptions,
  MemoryTransportOptions,
} from './memory.js';
import { MemoryClient } from './memory-client.js';
import { MemoryPublisher } from './memory-publisher.js';
import { MemoryServer } from './memory-server.js';
import { MemorySubscriber } from './memory-subscriber.js';
import { RESOLVED } from './transport-core.js';
import type {
  ClientTransport,
  PublisherTransport,
  ServerTransport,
  SubscriberTransport,
  TransportBase,
} from './types.js';

/** The direction of a client/server delivery, for fault filters. */
type Direction = 'toServer' | 'toClient';

/** The sender of a delivery, told when fault injection drops it. */
interface DropCounter {
  countDrop(): void;
}

function checkEndpoint(endpoint: string): void {
  if (!endpoint.startsWith('memory://')) {
    throw new TransportError('INVALID_ENDPOINT', `not a memory:// endpoint: ${endpoint}`);
  }
}

/** The {@link MemoryNetwork} behind `createMemoryNetwork()`. */
export class MemoryNetworkCore implements MemoryNetwork {
  readonly #servers = new Map<string, MemoryServer>();
  readonly #publishers = new Map<string, MemoryPublisher>();
  readonly #clients = new Set<MemoryClient>();
  /** Subscribers and the endpoints they asked to be connected to. */
  readonly #subscribers = new Map<MemorySubscriber, Set<string>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextPeer = 0;
  #nextName = 0;
  #delayMs = 0;
  #drops: Array<{
    remaining: number;
    filter: ((m: Uint8Array, d: Direction) => boolean) | undefined;
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
        client.unlink('disconnected');
        if (reconnect && server) setImmediate(() => this.#connect(client));
      }
      const publisher = this.#publishers.get(endpoint);
      for (const [subscriber, wanted] of this.#subscribers) {
        if (!wanted.has(endpoint)) continue;
        subscriber.unlink(endpoint);
        if (reconnect && publisher) setImmediate(() => this.#link(subscriber, endpoint));
      }
    },
    kill: (endpoint) => {
      this.#servers.get(endpoint)?.kill();
      this.#publishers.get(endpoint)?.kill();
    },
  };

  server(options: MemoryTransportOptions = {}): ServerTransport {
    return logged(new MemoryServer(this, options), options.logger, 'server');
  }

  client(endpoint: string, options: MemoryTransportOptions = {}): ClientTransport {
    checkEndpoint(endpoint);
    const client = new MemoryClient(this, endpoint, options);
    this.#clients.add(client);
    // Connecting takes a turn of the event loop, as a real handshake does.
    setImmediate(() => this.#connect(client));
    return logged(client, options.logger, 'client');
  }

  publisher(options: MemoryPublisherOptions = {}): PublisherTransport {
    return logged(new MemoryPublisher(this, options), options.logger, 'publisher');
  }

  subscriber(options: MemorySubscriberOptions = {}): SubscriberTransport {
    const subscriber = new MemorySubscriber(this, `sub-${++this.#nextPeer}`, options);
    return logged(subscriber, options.logger, 'subscriber');
  }

  #connect(client: MemoryClient): void {
    if (client.closed || client.connected) return;
    const server = this.#servers.get(client.endpoint);
    if (server && !server.closed) client.link(server, `peer-${++this.#nextPeer}`);
  }

  #link(subscriber: MemorySubscriber, endpoint: string): void {
    if (subscriber.closed || !this.#subscribers.get(subscriber)?.has(endpoint)) return;
    const publisher = this.#publishers.get(endpoint);
    if (publisher && !publisher.closed) subscriber.link(endpoint, publisher);
  }

  /** A fresh name for `memory://*`, or `endpoint` when it is free. */
  #claim(endpoint: string): string {
    checkEndpoint(endpoint);
    const real = endpoint === 'memory://*' ? `memory://auto-${++this.#nextName}` : endpoint;
    if (this.#servers.has(real) || this.#publishers.has(real)) {
      throw new TransportError('INVALID_ENDPOINT', `address in use: ${real}`);
    }
    return real;
  }

  /** A server listens on `endpoint`; returns the real name. */
  bind(endpoint: string, server: MemoryServer): string {
    const real = this.#claim(endpoint);
    this.#servers.set(real, server);
    for (const client of this.#clients)
      if (client.endpoint === real) setImmediate(() => this.#connect(client));
    return real;
  }

  /** The server no longer listens on `endpoint`. */
  unbind(endpoint: string, server: MemoryServer): void {
    if (this.#servers.get(endpoint) === server) this.#servers.delete(endpoint);
  }

  /** A publisher listens on `endpoint`; returns the real name. */
  bindPublisher(endpoint: string, publisher: MemoryPublisher): string {
    const real = this.#claim(endpoint);
    this.#publishers.set(real, publisher);
    for (const [subscriber, wanted] of this.#subscribers) {
      if (wanted.has(real)) setImmediate(() => this.#link(subscriber, real));
    }
    return real;
  }

  /** The publisher no longer listens anywhere. */
  unbindPublisher(publisher: MemoryPublisher): void {
    for (const [endpoint, p] of [...this.#publishers]) {
      if (p === publisher) this.#publishers.delete(endpoint);
    }
  }

  /** A subscriber wants the publisher at `endpoint` (now or once one listens). */
  connectSubscriber(subscriber: MemorySubscriber, endpoint: string): void {
    checkEndpoint(endpoint);
    let wanted = this.#subscribers.get(subscriber);
    if (wanted === undefined) {
      wanted = new Set();
      this.#subscribers.set(subscriber, wanted);
    }
    wanted.add(endpoint);
    // Connecting takes a turn of the event loop, as a real handshake does.
    setImmediate(() => this.#link(subscriber, endpoint));
  }

  /** The subscriber disconnected from `endpoint`: it is no longer linked when a publisher binds there. */
  disconnectSubscriber(subscriber: MemorySubscriber, endpoint: string): void {
    this.#subscribers.get(subscriber)?.delete(endpoint);
  }

  /** The subscriber closed. */
  forgetSubscriber(subscriber: MemorySubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  /** The client closed. */
  forget(client: MemoryClient): void {
    this.#clients.delete(client);
  }

  /** Resolves when deliveries scheduled so far have landed. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Delivers a copy of `message` through `push`, unless a fault drops it
   * (counted by `sender`) or delays it.
   */
  deliver(
    message: Uint8Array,
    direction: Direction,
    sender: DropCounter,
    push: (copy: Uint8Array) => Promise<void>,
  ): Promise<void> {
    for (const rule of this.#drops) {
      if (rule.remaining > 0 && (!rule.filter || rule.filter(message, direction))) {
        rule.remaining--;
        if (rule.remaining === 0) this.#drops = this.#drops.filter((r) => r.remaining > 0);
        sender.countDrop();
        return RESOLVED;
      }
    }
    const copy = message.slice();
    if (this.#delayMs <= 0) return push(copy);
    const delivery = new Promise<void>((resolve) => setTimeout(resolve, this.#delayMs)).then(() =>
      push(copy),
    );
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery)).catch(() => {});
    return RESOLVED;
  }
}

/** Attaches the `logger` option as the socket engines' factories do (memory has no security). */
function logged<T extends TransportBase>(
  transport: T,
  logger: Logger | undefined,
  role: EventLogSetup['role'],
): T {
  logTransportEvents(transport, { logger, role, mechanism: 'NULL' });
  return transport;
}
