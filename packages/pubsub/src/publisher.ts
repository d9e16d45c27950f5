import { randomBytes } from 'node:crypto';
import {
  checkMetadata,
  EMPTY_METADATA,
  isEmptyMetadata,
  Listeners,
  type Metadata,
} from '@xsmb/base';
import { type Codec, createMsgpackCodec, validate } from '@xsmb/codec';
import {
  createPublisherTransport,
  type PublisherTransport,
  type PublisherTransportOptions,
  type PublisherTransportStats,
  type SlowSubscriberPolicy,
  type TransportStats,
  type ZmqPublisherTransport,
} from '@xsmb/transport';
import { encodeEnvelope, PUBLISHER_ID_BYTES } from './envelope.js';
import { type ConnectionEvents, type ConnectionListener, onConnectionEvent } from './events.js';
import { PubSubError } from './pubsub-error.js';
import type { PubSubListener } from './pubsub-listener.js';
import type { Topic } from './topic.js';
import { encodeTopicFrame } from './topic-frame.js';

/** Default of the transport's `maxMessageBytes`, mirrored so the codec refuses first. */
const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

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
   * Wrap every `publish` (e.g. tracing adds `traceparent` to the metadata),
   * the first one outermost. They run before the message is checked,
   * numbered and encoded, so metadata they add is sent and checked like the
   * caller's. Default: none (and then `publish` skips the chain entirely).
   */
  interceptors?: readonly PublishInterceptor[];
}

/**
 * One message on its way through the {@link PublisherOptions.interceptors}.
 * `value` and `metadata` may be changed (or replaced) before calling `next`;
 * `metadata` is the publisher's own copy of the caller's, so adding keys
 * never touches the caller's object.
 */
export interface PublishRequest {
  /** The topic's name. */
  readonly topic: string;
  /** The key; `undefined` when none. */
  readonly key: string | undefined;
  /** The value to publish (checked by `validateOnPublish` after the interceptors). */
  value: unknown;
  /** Metadata to send; `{}` when the caller gave none. */
  metadata: Metadata;
}

/** The rest of the publish chain: resolves when queued, rejects with `PubSubError`. */
export type PublishNext = (request: PublishRequest) => Promise<void>;

/**
 * Wraps `publish`: gets the next step once per publish and returns what
 * runs instead; call `next(request)` to go on and return (or await) its
 * promise. Calling `next` synchronously keeps same-tick batching; an
 * interceptor that awaits before `next` may let later messages overtake.
 *
 * @example
 * const tenant: PublishInterceptor = (next) => (req) => {
 *   req.metadata['x-tenant'] = 'acme';
 *   return next(req);
 * };
 */
export type PublishInterceptor = (next: PublishNext) => PublishNext;

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

/** The per-(topic, key) numbering and the cached topic frame. */
interface Stream {
  readonly frame: Buffer;
  seq: number;
}

/** Streams of one topic: the keyless one and one per key. */
interface TopicStreams {
  plain: Stream | undefined;
  readonly byKey: Map<string, Stream>;
}

function rejectWith(code: PubSubError['code'], message: string, cause?: unknown): Promise<never> {
  return Promise.reject(
    new PubSubError(code, message, cause === undefined ? undefined : { cause }),
  );
}

function toPubSubError(error: unknown): never {
  throw PubSubError.from(error);
}

class PublisherImpl implements Publisher {
  readonly id: string;
  private readonly idBytes: Buffer;
  private readonly transport: PublisherTransport;
  private readonly codec: Codec;
  /** The default transport's `maxMessageBytes` (checked before numbering); none when injected. */
  private readonly maxMessageBytes: number | undefined;
  private readonly listeners: Listeners<PubSubListener>;
  private readonly interceptors: readonly PublishInterceptor[] | undefined;
  private readonly topics = new Map<string, TopicStreams>();
  private streamCount = 0;
  private published = 0;
  private closePromise: Promise<void> | undefined;

  constructor(options: PublisherOptions) {
    this.idBytes = randomBytes(PUBLISHER_ID_BYTES);
    this.id = this.idBytes.toString('hex');
    this.transport =
      options.transport ??
      createPublisherTransport({
        ...options.transportOptions,
        slowSubscriber: options.slowSubscriber ?? 'drop',
      });
    const maxMessageBytes = options.transportOptions?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxMessageBytes = options.transport === undefined ? maxMessageBytes : undefined;
    this.codec = options.codec ?? createMsgpackCodec({ maxBytes: maxMessageBytes });
    this.listeners = new Listeners<PubSubListener>(options.listeners);
    // Copied, so the caller cannot change the chain later; `undefined` keeps the fast path.
    this.interceptors =
      options.interceptors !== undefined && options.interceptors.length > 0
        ? [...options.interceptors]
        : undefined;
  }

  get endpoints(): readonly string[] {
    return this.transport.endpoints;
  }

  get closed(): boolean {
    return this.closePromise !== undefined;
  }

  async listen<const E extends readonly string[]>(
    ...endpoints: E
  ): Promise<{ -readonly [K in keyof E]: string }> {
    if (this.closed) throw new PubSubError('CLOSED', 'publisher is closed');
    const bound: string[] = [];
    try {
      for (const endpoint of endpoints) bound.push(await this.transport.listen(endpoint));
    } catch (error) {
      throw PubSubError.from(error);
    }
    return bound as { -readonly [K in keyof E]: string };
  }

  connect(endpoint: string): void {
    if (this.closed) throw new PubSubError('CLOSED', 'publisher is closed');
    try {
      this.transport.connect(endpoint);
    } catch (error) {
      throw PubSubError.from(error);
    }
  }

  publish<I, O>(topic: Topic<I, O>, value: NoInfer<I>, options?: PublishOptions): Promise<void> {
    const interceptors = this.interceptors;
    if (interceptors === undefined) return this.send(topic, value, options?.key, options?.metadata);
    if (this.closePromise !== undefined) return rejectWith('CLOSED', 'publisher is closed');
    const key = options?.key;
    const request: PublishRequest = {
      topic: topic.name,
      key: key === '' ? undefined : key,
      value,
      metadata: { ...options?.metadata },
    };
    // Built per publish so the last step can hold the typed topic (its schema), which the
    // request only names; topic and key are read-only in the request, so they cannot drift.
    let next: PublishNext = (r) => this.send(topic, r.value, key, r.metadata);
    for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
    try {
      return next(request).then(undefined, toPubSubError);
    } catch (error) {
      return Promise.reject(PubSubError.from(error));
    }
  }

  /** Checks, numbers, encodes and queues one message: the whole publish without interceptors. */
  private send(
    topic: Topic<unknown, unknown>,
    value: unknown,
    key: string | undefined,
    given: Metadata | undefined,
  ): Promise<void> {
    if (this.closePromise !== undefined) return rejectWith('CLOSED', 'publisher is closed');
    let metadata = given;
    let stream: Stream;
    try {
      stream = this.stream(topic.name, key);
    } catch (error) {
      return rejectWith('INVALID_ARGUMENT', (error as Error).message, error);
    }
    if (metadata !== undefined) {
      const problem = checkMetadata(metadata);
      if (problem !== undefined) return rejectWith('INVALID_ARGUMENT', problem);
      if (isEmptyMetadata(metadata)) metadata = undefined;
    }
    if (topic.validateOnPublish && topic.schema !== undefined) {
      try {
        const result = validate(topic.schema, value);
        if (result instanceof Promise) {
          result.catch(() => {});
          return rejectWith(
            'INVALID_ARGUMENT',
            `topic ${topic.name}: validateOnPublish needs a synchronous schema`,
          );
        }
      } catch (error) {
        return rejectWith('INVALID_ARGUMENT', (error as Error).message, error);
      }
    }
    const seq = stream.seq + 1;
    let bytes: Uint8Array;
    try {
      bytes = encodeEnvelope(this.codec, this.idBytes, seq, metadata, value);
    } catch (error) {
      // The codec's TOO_LARGE (its maxBytes is maxMessageBytes) maps to TOO_LARGE.
      return Promise.reject(PubSubError.from(error, 'INVALID_ARGUMENT'));
    }
    // A codec with a larger limit than the transport: refuse here, before the
    // message is numbered, rather than in the transport after (a false gap).
    if (this.maxMessageBytes !== undefined && bytes.length > this.maxMessageBytes) {
      return rejectWith(
        'TOO_LARGE',
        `message of ${bytes.length} bytes exceeds maxMessageBytes ${this.maxMessageBytes}`,
      );
    }
    // Numbered only once encoded: a value that cannot be sent leaves no gap.
    stream.seq = seq;
    this.published++;
    const queued = this.transport.publish(stream.frame, bytes);
    if (this.listeners.has('onPublish')) {
      this.listeners.emit('onPublish', {
        topic: topic.name,
        key: key === '' ? undefined : key,
        seq,
        publisher: this.id,
        metadata: metadata ?? EMPTY_METADATA,
        bytes: bytes.length,
      });
    }
    return queued.then(undefined, toPubSubError);
  }

  private stream(topic: string, key: string | undefined): Stream {
    let streams = this.topics.get(topic);
    if (streams === undefined) {
      streams = { plain: undefined, byKey: new Map() };
      // Checks the name before anything is stored for it.
      const frame = encodeTopicFrame(topic, undefined);
      streams.plain = { frame, seq: 0 };
      this.topics.set(topic, streams);
      this.streamCount++;
    }
    if (key === undefined || key === '') return streams.plain!;
    let stream = streams.byKey.get(key);
    if (stream === undefined) {
      stream = { frame: encodeTopicFrame(topic, key), seq: 0 };
      streams.byKey.set(key, stream);
      this.streamCount++;
    }
    return stream;
  }

  waitForSubscribers(count: number, options: WaitForSubscribersOptions = {}): Promise<void> {
    if (this.closed) return rejectWith('CLOSED', 'publisher is closed');
    if (!Number.isInteger(count) || count < 0) {
      return rejectWith('INVALID_ARGUMENT', `count must be an integer >= 0, got ${String(count)}`);
    }
    const wait: { topic?: Uint8Array; timeoutMs?: number } = {};
    if (options.timeoutMs !== undefined) wait.timeoutMs = options.timeoutMs;
    if (options.topic !== undefined) {
      const name = typeof options.topic === 'string' ? options.topic : options.topic.name;
      try {
        wait.topic = encodeTopicFrame(name, options.key);
      } catch (error) {
        return rejectWith('INVALID_ARGUMENT', (error as Error).message, error);
      }
    }
    return this.transport.waitForSubscribers(count, wait).then(undefined, toPubSubError);
  }

  subscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const [prefix, count] of this.transport.subscriptions()) {
      const text = Buffer.from(prefix, 'latin1').toString('utf8');
      const nul = text.indexOf('\0');
      out.push(
        nul < 0
          ? { topic: text, keyPrefix: undefined, count }
          : { topic: text.slice(0, nul), keyPrefix: text.slice(nul + 1), count },
      );
    }
    return out;
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionListener<K>): () => void {
    return onConnectionEvent(this.transport, event, listener, () => {
      this.listeners.errors++;
    });
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    if (this.closed) throw new PubSubError('CLOSED', 'publisher is closed');
    // Not part of the PublisherTransport interface: the ZeroMQ transport has
    // it, an injected transport may not.
    const transport = this.transport as PublisherTransport &
      Partial<Pick<ZmqPublisherTransport, 'setAllowedClientKeys'>>;
    if (typeof transport.setAllowedClientKeys !== 'function') {
      throw new PubSubError(
        'INVALID_ARGUMENT',
        "this publisher's transport has no setAllowedClientKeys (an injected transport without an allow-list)",
      );
    }
    try {
      transport.setAllowedClientKeys(keys);
    } catch (error) {
      // TypeError: no allow-list (created without allowedClientKeys) or a malformed key.
      throw PubSubError.from(error, 'INVALID_ARGUMENT');
    }
  }

  stats(): PublisherStats {
    const transport = this.transport.stats();
    return {
      published: this.published,
      dropped: transport.drops,
      // Only the ZeroMQ transport counts these; the interface does not require it.
      unmatched: (transport as Partial<PublisherTransportStats>).unmatched ?? 0,
      queueDepth: transport.queueDepth,
      streams: this.streamCount,
      listenerErrors: this.listeners.errors,
      transport,
    };
  }

  close(): Promise<void> {
    this.closePromise ??= this.transport.close().then(undefined, toPubSubError);
    return this.closePromise;
  }
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
