/**
 * The engines the contract suites run against, behind one factory each:
 * the in-memory transport, libzmq (zeromq.js) and zmtp (@xsmb/zmtp). Options
 * are given once, in neutral terms, and mapped to each engine's own.
 */

import {
  type ClientTransport,
  createClientTransport,
  createMemoryNetwork,
  createPublisherTransport,
  createServerTransport,
  createSubscriberTransport,
  type PublisherTransport,
  type ServerTransport,
  type SlowSubscriberPolicy,
  type SubscriberTransport,
  type TransportStats,
} from '../../src/index.js';
import { bindAddress } from '../helpers.js';

/** The engines every contract test runs on. */
export const ENGINES = ['memory', 'libzmq', 'zmtp'] as const;

/** One of {@link ENGINES}. */
export type EngineName = (typeof ENGINES)[number];

/** Bounds of a client or server. */
export interface Limits {
  /** Largest logical message. */
  readonly maxMessageBytes?: number;
  /**
   * The client's send-queue bound: `sendQueueDepth` with `whenFull: 'error'`
   * on the socket engines, `queueDepth` (connect queue) in memory.
   */
  readonly queueDepth?: number;
  /** How long `close()` flushes (socket engines; memory does not wait). */
  readonly closeTimeoutMs?: number;
}

/** Options of a publisher. */
export interface PublisherLimits {
  readonly slowSubscriber?: SlowSubscriberPolicy;
  /** Messages `publish` queues before it waits. */
  readonly sendQueueDepth?: number;
}

/** Options of a subscriber. */
export interface SubscriberLimits {
  /** Messages a subscriber holds before it counts as slow (its high-water mark). */
  readonly highWaterMark?: number;
}

/** Publisher counters: the common ones plus `unmatched`. */
export type PublisherStats = TransportStats & { unmatched: number };

/** A publisher whose stats include `unmatched` (every engine's do). */
export type ContractPublisher = Omit<PublisherTransport, 'stats'> & { stats(): PublisherStats };

/** Transports of one engine. */
export interface Engine {
  readonly name: EngineName;
  /** A fresh address for a server or publisher to listen on. */
  address(): string;
  /** An address nobody listens on (connections wait or keep retrying). */
  nowhere(): string;
  server(limits?: Limits): ServerTransport;
  client(endpoint: string, limits?: Limits): ClientTransport;
  publisher(limits?: PublisherLimits): ContractPublisher;
  subscriber(endpoints: readonly string[], limits?: SubscriberLimits): SubscriberTransport;
}

/** The transports of `name` (a fresh in-memory network for memory). */
export function engine(name: EngineName): Engine {
  if (name === 'memory') {
    const net = createMemoryNetwork();
    const memory = (l: Limits) => ({
      ...(l.maxMessageBytes === undefined ? {} : { maxMessageBytes: l.maxMessageBytes }),
      ...(l.queueDepth === undefined ? {} : { queueDepth: l.queueDepth }),
    });
    return {
      name,
      address: () => 'memory://*',
      nowhere: () => `memory://nobody-${Math.random().toString(36).slice(2)}`,
      server: (l = {}) => net.server(memory(l)),
      client: (endpoint, l = {}) => net.client(endpoint, memory(l)),
      publisher: (l = {}) => net.publisher(l) as ContractPublisher,
      subscriber: (endpoints, l = {}) =>
        net.subscriber({
          endpoints,
          ...(l.highWaterMark === undefined ? {} : { queueDepth: l.highWaterMark }),
        }),
    };
  }
  const socket = (l: Limits) => ({
    engine: name,
    ...(l.maxMessageBytes === undefined ? {} : { maxMessageBytes: l.maxMessageBytes }),
    ...(l.queueDepth === undefined
      ? {}
      : { sendQueueDepth: l.queueDepth, whenFull: 'error' as const }),
    ...(l.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: l.closeTimeoutMs }),
  });
  return {
    name,
    address: () => bindAddress('tcp'),
    // Port 1 refuses connections: the client keeps retrying, its queue keeps its messages.
    nowhere: () => 'tcp://127.0.0.1:1',
    server: (l = {}) => createServerTransport(socket(l)),
    client: (endpoint, l = {}) => createClientTransport(endpoint, socket(l)),
    publisher: (l = {}) =>
      createPublisherTransport({
        engine: name,
        ...l,
        // Small kernel-side queues, so that a slow subscriber is felt soon.
        sendHighWaterMark: 4,
      }),
    subscriber: (endpoints, l = {}) =>
      createSubscriberTransport({
        engine: name,
        endpoints,
        ...(l.highWaterMark === undefined ? {} : { receiveHighWaterMark: l.highWaterMark }),
      }),
  };
}
