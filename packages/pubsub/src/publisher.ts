/**
 * The publisher: its public interface, options and factory
 * (publisher-impl.ts implements it).
 */

import type { Logger, Metadata } from '@xsmb/base';
import type { Codec } from '@xsmb/codec';
import type {
  PublisherTransport,
  PublisherTransportOptions,
  SlowSubscriberPolicy,
  TransportStats,
} from '@xsmb/transport';
import type { ConnectionEvents, ConnectionListener } from './events.js';
import type { PublishInterceptor } from './publish-interceptor.js';
import { PublisherImpl } from './publisher-impl.js';
import type { PubSubListener } from './pubsub-listener.js';
import type { Topic } from './topic.js';

/** Options of {@link createPublisher}. All optional. */
export interface PublisherOptions {
  /**
   * What happens when a subscriber is too slow and its queue (the
   * transport's `sendHighWaterMark`, in ZeroMQ messages) is full:
   * - `'drop'`: the message is dropped for every subscriber it matches,
   *   counted in `stats().dropped`; subscribers count it as a gap.
   * - `'block'`: publishing waits (the send queue fills, then `publish`
   *   waits) until the slowest subscriber has room: lossless, at its pace.
   * Only applies to the default transport.
   * @default 'drop'
   */
  slowSubscriber?: SlowSubscriberPolicy;
  /**
   * Options of the default ZeroMQ transport (an XPUB): queue depth, high-water
   * marks, burst limits, heartbeats, `maxMessageBytes` (16 MiB), and CURVE:
   * `curve` (server keys) with an optional `allowedClientKeys` allow-list of
   * subscriber keys when it `listen`s, or `curveClient` (its own keys and the
   * broker's public key) when it `connect`s to a broker. Default: the
   * transport's defaults (no CURVE).
   */
  transportOptions?: Omit<PublisherTransportOptions, 'slowSubscriber'>;
  /** A ready-made transport instead of the default one (tests, custom sockets). */
  transport?: PublisherTransport;
  /**
   * The codec envelopes are written with. It must write standard MessagePack
   * (other languages read it). Default: `createMsgpackCodec({ maxBytes })`
   * with `maxBytes` = the transport's `maxMessageBytes`, so an oversize
   * value is refused before it gets a sequence number.
   */
  codec?: Codec;
  /** Observe-only hooks (`onPublish`); see {@link PubSubListener}. Default: none. */
  listeners?: readonly PubSubListener[];
  /**
   * Where the publisher logs (a pino logger fits; see `Logger`): listening
   * and close, with `component: 'publisher'`; the default transport gets it
   * too and logs subscribers connecting and leaving, refused handshakes and
   * drops. Nothing per message. See the README's "Logging". Default: silent.
   */
  logger?: Logger;
  /**
   * Wrap every `publish` (e.g. tracing adds `traceparent` to the metadata),
   * the first one outermost. They run before the message is checked,
   * numbered and encoded, so metadata they add is sent and checked like the
   * caller's. Default: none (and then `publish` skips the chain entirely).
   */
  interceptors?: readonly PublishInterceptor[];
}

/** Options of {@link Publisher.publish}. */
export interface PublishOptions {
  /**
   * The key (sub-topic), e.g. a symbol or a region: subscribers can filter
   * on a prefix of it. Any string up to 1024 bytes of UTF-8; `''` is the
   * same as no key. Default: none.
   */
  key?: string;
  /**
   * Metadata sent with the message (e.g. `traceparent`): keys match
   * `^[a-z0-9][a-z0-9._-]*$`, values are strings or bytes. Default: none.
   */
  metadata?: Metadata;
}

/** Options of {@link Publisher.waitForSubscribers}. */
export interface WaitForSubscribersOptions {
  /** Give up after this many ms, rejecting with `TIMEOUT`. Default: wait until closed. */
  timeoutMs?: number;
  /**
   * Count only subscriptions that would receive a message published on this
   * topic (with `key`). Default: count every subscription.
   */
  topic?: Topic<unknown, unknown> | string;
  /** With `topic`: the key of that message. Default: no key. */
  key?: string;
}

/** Counters of a publisher. */
export interface PublisherStats {
  /** Messages accepted by `publish`. */
  published: number;
  /** Messages dropped at a subscriber's high-water mark (`slowSubscriber: 'drop'`) or at close. */
  dropped: number;
  /**
   * Messages sent while no subscription this publisher knew of matched their
   * topic and key: ZeroMQ discarded them, nobody received them (no
   * subscriber yet, the slow joiner, or nobody interested in that key).
   * Counted as they leave the send queue, against the subscriptions the
   * publisher has seen (XPUB notifications; through a broker, the broker's
   * subscriptions). A message sent at the very moment a subscription arrives
   * may be counted either way. 0 for an injected transport that does not
   * count them.
   */
  unmatched: number;
  /** Messages queued in the transport, not yet handed to ZeroMQ. */
  queueDepth: number;
  /** Distinct (topic, key) streams this publisher has numbered. */
  streams: number;
  /** Exceptions thrown by listeners and by `on` event listeners (swallowed). */
  listenerErrors: number;
  /** The transport's own counters (ZeroMQ messages, bursts, drops). */
  transport: TransportStats;
}

/** Summary of the subscriptions a publisher sees (from XPUB notifications). */
export interface SubscriptionInfo {
  /**
   * The topic. For a raw subscription that stops inside a topic name (not
   * made by an xSMB subscriber), the raw prefix: `''` for everything.
   */
  readonly topic: string;
  /** The key prefix: `''` for every key; `undefined` for a raw subscription (see `topic`). */
  readonly keyPrefix: string | undefined;
  /** Subscriber sockets holding this subscription (through a broker: distinct subscriptions). */
  readonly count: number;
}

/** A publisher: bind or connect, then publish typed messages on topics. */
export interface Publisher {
  /** This publisher instance's id (16 hex digits), random per instance. */
  readonly id: string;
  /**
   * Binds to endpoints (`tcp://127.0.0.1:0` picks a free port) and resolves
   * with the real ones, one per argument (a tuple, so `const [e] = await
   * pub.listen(...)` is a `string`).
   */
  listen<const E extends readonly string[]>(
    ...endpoints: E
  ): Promise<{ -readonly [K in keyof E]: string }>;
  /** Connects to a broker's frontend (`createBroker`) instead of binding. */
  connect(endpoint: string): void;
  /** Endpoints bound so far. */
  readonly endpoints: readonly string[];
  /**
   * Publishes one message: numbered, encoded once, queued. Resolves when it
   * is queued locally (not delivered: pub/sub is at-most-once); with
   * `slowSubscriber: 'block'` and a full queue it waits for room. Messages
   * leave in publish order, across topics and keys; consecutive messages
   * published in the same tick on the same topic and key travel as one
   * ZeroMQ message. Rejects with `PubSubError`: `INVALID_ARGUMENT`,
   * `TOO_LARGE` (the encoded message is above `maxMessageBytes`; rpc's
   * `RESOURCE_EXHAUSTED`; nothing is numbered or sent, the publisher stays
   * usable), `QUEUE_FULL`, `CLOSED`.
   */
  publish<I, O>(topic: Topic<I, O>, value: NoInfer<I>, options?: PublishOptions): Promise<void>;
  /**
   * Resolves once at least `count` subscriptions (matching `topic` and `key`
   * when given) have reached this publisher. Use it before publishing to
   * avoid the slow-joiner loss. Rejects with `TIMEOUT` or `CLOSED`.
   */
  waitForSubscribers(count: number, options?: WaitForSubscribersOptions): Promise<void>;
  /** The subscriptions seen right now. */
  subscriptions(): SubscriptionInfo[];
  /**
   * Listens to this publisher's connections, as its transport reports them
   * (the default one or an injected one): `connected` and `disconnected` for
   * each subscriber (or, after `connect`, broker) connection, with the remote
   * address as `peer`; `handshakeFailed` when a CURVE handshake failed (a
   * subscriber with the wrong public key for this publisher, or one the
   * `allowedClientKeys` allow-list refused: `code` `'400'`). See
   * {@link ConnectionEvents}. Returns a function that removes the listener.
   *
   * Listeners are called synchronously as the transport emits the event:
   * keep them quick. One that throws is ignored and counted in
   * `stats().listenerErrors`: the publisher and the other listeners carry on.
   * Throws `PubSubError` (`INVALID_ARGUMENT`) for another event name or a
   * listener that is not a function.
   *
   * @example
   * pub.on('handshakeFailed', (e) => log.warn(`refused ${e.endpoint}: ${e.reason}`));
   */
  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionListener<K>): () => void;
  /**
   * Replaces the allow-list of subscriber public keys (Z85) of a publisher
   * created with `transportOptions.allowedClientKeys` (or an injected
   * transport that has `setAllowedClientKeys`). It affects new handshakes
   * only: a subscriber refused before does not retry, so it must connect
   * again (a new subscriber) to get in; connected subscribers whose key is
   * removed stay connected. Throws `PubSubError`: `INVALID_ARGUMENT` when the
   * publisher has no allow-list, its transport cannot change one, or a key
   * is malformed; `CLOSED` after `close()`.
   */
  setAllowedClientKeys(keys: Iterable<string>): void;
  /** A snapshot of the counters. */
  stats(): PublisherStats;
  /**
   * Flushes what is queued (bounded by the transport's `closeTimeoutMs`) and
   * closes the socket. Idempotent.
   */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

/**
 * Creates a publisher. Bind it with `listen` (subscribers connect to it) or
 * `connect` it to a broker's frontend.
 *
 * @example
 * const pub = createPublisher({ slowSubscriber: 'drop' });
 * const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
 * await pub.waitForSubscribers(1, { timeoutMs: 2000 });
 * await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { key: 'AAPL' });
 */
export function createPublisher(options: PublisherOptions = {}): Publisher {
  return new PublisherImpl(options);
}
