/**
 * The subscriber: its public interface, options and factory. The parts live
 * in their own files: subscriber-impl.ts puts them together.
 */

import type { Logger } from '@xsmb/base';
import type { Codec } from '@xsmb/codec';
import type {
  DiscoveryEvent,
  DnsResolverOptions,
  Resolver,
  SubscriberTransport,
  SubscriberTransportOptions,
  TransportStats,
} from '@xsmb/transport';
import type { ConnectionEvents, ConnectionListener } from './events.js';
import type { PubSubListener } from './pubsub-listener.js';
import { SubscriberImpl } from './subscriber-impl.js';
import type {
  MessageErrorHandler,
  MessageHandler,
  OverflowPolicy,
  Subscription,
} from './subscription.js';
import type { Topic } from './topic.js';

/** Options of {@link createSubscriber}. All optional. */
export interface SubscriberOptions {
  /**
   * Publisher or broker endpoints to connect to; more with `connect()`. Also
   * resolver targets, followed as they change: `dns:///name:port` (every
   * A/AAAA address: every publisher behind the name), `dns+srv:///_svc._tcp.name`.
   * Default: none.
   */
  endpoints?: readonly string[];
  /**
   * A resolver of your own (Consul, etcd, the Kubernetes API, a
   * `StaticResolver` you `update()`): the subscriber connects to every
   * endpoint it lists, as the list changes. Not closed with the subscriber.
   * Default: none.
   */
  resolver?: Resolver;
  /**
   * Options of the DNS resolvers of `dns:` and `dns+srv:` targets (`servers`:
   * default none, the system resolver `dns.lookup`; TTL bounds). Default: their defaults.
   */
  dns?: DnsResolverOptions;
  /**
   * Told when discovery adds or removes an endpoint or a resolution fails
   * (the last good set is kept). Must not throw (counted in `listenerErrors`).
   * Default: none.
   */
  onEndpointEvent?: (event: DiscoveryEvent) => void;
  /**
   * Options of the default ZeroMQ transport (a SUB): `receiveHighWaterMark`,
   * heartbeats, CURVE, `maxMessageBytes` (16 MiB). Default: its defaults.
   */
  transportOptions?: Omit<SubscriberTransportOptions, 'endpoints'>;
  /** A ready-made transport instead of the default one (tests, custom sockets). */
  transport?: SubscriberTransport;
  /**
   * The codec envelopes are read with. Default: `createMsgpackCodec({ maxBytes })`
   * with `maxBytes` = the transport's `maxMessageBytes` (safe decoding of
   * untrusted input: standard MessagePack only, bounded size and depth).
   */
  codec?: Codec;
  /** Observe-only hooks (`onReceive`, `onGap`, `onInvalid`); see {@link PubSubListener}. Default: none. */
  listeners?: readonly PubSubListener[];
  /**
   * Where the subscriber logs (a pino logger fits; see `Logger`): refused
   * messages and gaps (the first few, then summaries) and close, with
   * `component: 'subscriber'`; the default transport gets it too and logs
   * connections and refused handshakes. Nothing per message. See the
   * README's "Logging". Default: silent.
   */
  logger?: Logger;
  /**
   * Default buffer of each subscription, in messages. Small on purpose: the
   * backlog of a slow consumer is better kept in libzmq's queues (compact
   * bytes) than as decoded objects, which would outlive young-generation
   * garbage collections (a 10,000-message buffer cost 15% throughput).
   * @default 1024
   */
  bufferSize?: number;
  /**
   * Default of what a subscription does when its buffer is full; see
   * {@link OverflowPolicy}.
   * @default 'wait'
   */
  whenFull?: OverflowPolicy;
  /**
   * Streams (publisher, topic, key) whose last sequence number is kept for
   * gap detection. Past it, the least recently created stream is forgotten.
   * @default 65536
   */
  maxStreams?: number;
}

/** Options of {@link Subscriber.subscribe}. */
export interface SubscribeOptions {
  /**
   * Receive only messages whose key starts with this prefix (`'AAPL'` also
   * matches `'AAPL.O'`). Default: every key, and messages without a key.
   */
  key?: string;
  /** This subscription's buffer, in messages. Default: the subscriber's `bufferSize` (1024). */
  bufferSize?: number;
  /** What happens when the buffer is full. Default: the subscriber's `whenFull` (`'wait'`). */
  whenFull?: OverflowPolicy;
  /** Aborting it stops the subscription. Default: none. */
  signal?: AbortSignal;
}

/**
 * Options of {@link Subscriber.subscribe} with a callback: messages go to
 * `onMessage` as they are read, with no buffer and no iterator (the fastest
 * way to consume: no promise per message). `bufferSize` and `whenFull` do not
 * apply: a callback that returns a promise holds the reader back instead.
 */
export interface SubscribeCallbackOptions<T>
  extends Omit<SubscribeOptions, 'bufferSize' | 'whenFull'> {
  /**
   * Called with each message, in order. Returning a promise pauses reading
   * until it settles. A throw or rejection is counted in the subscription's
   * `errors` and passed to `onError`; the subscription goes on.
   */
  onMessage: MessageHandler<T>;
  /** Told about each failed `onMessage` call. Default: none (only counted). */
  onError?: MessageErrorHandler<T>;
}

/** Options of {@link Subscriber.ready}. */
export interface ReadyOptions {
  /** Give up after this many ms, rejecting with `TIMEOUT`. Default: wait until closed. */
  timeoutMs?: number;
}

/** Counters of a subscriber (all monotonic except `subscriptions`, `streams`). */
export interface SubscriberStats {
  /** Valid messages received from the wire that matched a subscription. */
  received: number;
  /** Messages refused (undecodable, wrong version, bad envelope or metadata, failed validation). */
  invalid: number;
  /** Messages lost on the way, from sequence-number gaps. */
  gaps: number;
  /** Messages discarded by subscriptions (`drop-*` overflow, or buffered at stop). */
  dropped: number;
  /** Active subscriptions. */
  subscriptions: number;
  /** Streams tracked for gap detection. */
  streams: number;
  /** Exceptions thrown by listeners and by `on` event listeners (swallowed). */
  listenerErrors: number;
  /** Failed resolutions of `dns:` targets or the `resolver` (each failure once, not each retry). */
  resolutionErrors: number;
  /** The transport's own counters (ZeroMQ messages, malformed frames dropped). */
  transport: TransportStats;
}

/** A subscriber: one socket, connected to publishers or a broker, with any number of subscriptions. */
export interface Subscriber {
  /**
   * Subscribes with a callback instead of an iterator (see
   * {@link SubscribeCallbackOptions}): the fastest way to consume. The
   * returned subscription has `stop()` and `stats()` but cannot be iterated.
   */
  subscribe<I, O>(
    topic: Topic<I, O>,
    options: SubscribeCallbackOptions<NoInfer<O>>,
  ): Subscription<O>;
  /**
   * Subscribes to a topic, optionally to the keys starting with `key`.
   * Messages arrive in publish order per publisher, topic and key.
   */
  subscribe<I, O>(topic: Topic<I, O>, options?: SubscribeOptions): Subscription<O>;
  /** Connects to one more publisher or broker endpoint. */
  connect(endpoint: string): void;
  /** Endpoints connected to (as given, or as discovery found them, removed ones left out). */
  readonly endpoints: readonly string[];
  /**
   * Resolves once a connection to every endpoint is up, so the subscriptions
   * are on their way to the publishers (they arrive about a millisecond
   * later: a publisher that must not lose the first messages waits with
   * `waitForSubscribers`). Rejects with `TIMEOUT` or `CLOSED`.
   */
  ready(options?: ReadyOptions): Promise<void>;
  /**
   * Listens to this subscriber's connections, as its transport reports them
   * (the default one or an injected one): `connected` and `disconnected` per
   * publisher or broker connection, `endpoint` being the address given to
   * `connect` (a dropped connection is retried by itself, and `connected`
   * fires again); `handshakeFailed` when a CURVE handshake failed (the wrong
   * `serverPublicKey`, retried and reported again; or this subscriber's key
   * refused by an allow-list, `code` `'400'`, not retried). See
   * {@link ConnectionEvents}. Returns a function that removes the listener.
   *
   * Listeners are called synchronously as the transport emits the event:
   * keep them quick. One that throws is ignored and counted in
   * `stats().listenerErrors`: the subscriber (its `ready`, its
   * subscriptions) and the other listeners carry on. Throws `PubSubError`
   * (`INVALID_ARGUMENT`) for another event name or a listener that is not a
   * function.
   *
   * @example
   * sub.on('handshakeFailed', (e) => log.warn(`refused by ${e.endpoint}: ${e.reason}`));
   */
  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionListener<K>): () => void;
  /** A snapshot of the counters. */
  stats(): SubscriberStats;
  /** Stops every subscription and closes the socket. Idempotent. */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

/**
 * Creates a subscriber: one SUB socket connected to publishers or a broker.
 *
 * @example
 * const sub = createSubscriber({ endpoints: ['tcp://127.0.0.1:5556'] });
 * const feed = sub.subscribe(Prices, { key: 'AAPL' });
 * await sub.ready({ timeoutMs: 2000 });
 * for await (const m of feed) console.log(m.key, m.seq, m.value.px);
 */
export function createSubscriber(options: SubscriberOptions = {}): Subscriber {
  return new SubscriberImpl(options);
}
