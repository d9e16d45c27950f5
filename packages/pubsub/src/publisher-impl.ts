/**
 * The publisher: checks, numbers, encodes and queues messages on its
 * transport, through the interceptors when there are some.
 */

import { randomBytes } from 'node:crypto';
import {
  checkMetadata,
  childLogger,
  EMPTY_METADATA,
  isEmptyMetadata,
  Listeners,
  type Logger,
  type Metadata,
  silentLogger,
  withLogger,
} from '@xsmb/base';
import { type Codec, validate } from '@xsmb/codec';
import {
  createPublisherTransport,
  type PublisherTransport,
  type PublisherTransportStats,
  QUEUED,
  type ZmqPublisherTransport,
} from '@xsmb/transport';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  defaultEnvelopeCodec,
  encodeEnvelope,
  PUBLISHER_ID_BYTES,
} from './envelope.js';
import { type ConnectionEvents, type ConnectionListener, onConnectionEvent } from './events.js';
import {
  type PublishInterceptor,
  type PublishRequest,
  runInterceptors,
} from './publish-interceptor.js';
import { type PublishStream, PublishStreams } from './publish-streams.js';
import type {
  Publisher,
  PublisherOptions,
  PublisherStats,
  PublishOptions,
  SubscriptionInfo,
  WaitForSubscribersOptions,
} from './publisher.js';
import { messageOf, PubSubError, rejectWith, rethrow, translate } from './pubsub-error.js';
import type { PubSubListener } from './pubsub-listener.js';
import type { Topic } from './topic.js';
import { encodeTopicFrame, parseSubscriptionPrefix } from './topic-frame.js';

/** The implementation behind `createPublisher`. */
export class PublisherImpl implements Publisher {
  readonly id: string;
  private readonly idBytes: Buffer;
  private readonly transport: PublisherTransport;
  private readonly codec: Codec;
  /** The default transport's `maxMessageBytes` (checked before numbering); none when injected. */
  private readonly maxMessageBytes: number | undefined;
  private readonly listeners: Listeners<PubSubListener>;
  private readonly hasPublish: boolean;
  private readonly interceptors: readonly PublishInterceptor[] | undefined;
  private readonly streams = new PublishStreams();
  private published = 0;
  private closePromise: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(options: PublisherOptions) {
    this.logger =
      options.logger === undefined
        ? silentLogger
        : childLogger(options.logger, { component: 'publisher' });
    this.idBytes = randomBytes(PUBLISHER_ID_BYTES);
    this.id = this.idBytes.toString('hex');
    this.transport =
      options.transport ??
      createPublisherTransport({
        ...withLogger(options.transportOptions, options.logger),
        slowSubscriber: options.slowSubscriber ?? 'drop',
      });
    const maxMessageBytes = options.transportOptions?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxMessageBytes = options.transport === undefined ? maxMessageBytes : undefined;
    this.codec = options.codec ?? defaultEnvelopeCodec(maxMessageBytes);
    this.listeners = new Listeners<PubSubListener>(options.listeners);
    // Fixed at construction: read once, not per publish.
    this.hasPublish = this.listeners.has('onPublish');
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
      for (const endpoint of endpoints) {
        const real = await this.transport.listen(endpoint);
        this.logger.info({ event: 'listening', endpoint: real }, 'publisher listening');
        bound.push(real);
      }
    } catch (error) {
      throw PubSubError.from(error);
    }
    return bound as { -readonly [K in keyof E]: string };
  }

  connect(endpoint: string): void {
    if (this.closed) throw new PubSubError('CLOSED', 'publisher is closed');
    translate(() => this.transport.connect(endpoint));
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
    // Topic and key are read-only in the request, so they cannot drift from `topic`.
    return runInterceptors(interceptors, request, (r) =>
      this.send(topic, r.value, key, r.metadata),
    );
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
    let stream: PublishStream;
    try {
      stream = this.streams.get(topic.name, key);
    } catch (error) {
      return rejectWith('INVALID_ARGUMENT', messageOf(error), error);
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
        return rejectWith('INVALID_ARGUMENT', messageOf(error), error);
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
    if (this.hasPublish) {
      this.listeners.emit('onPublish', {
        topic: topic.name,
        key: key === '' ? undefined : key,
        seq,
        publisher: this.id,
        metadata: metadata ?? EMPTY_METADATA,
        bytes: bytes.length,
      });
    }
    // Queued at once (the common case): nothing to map, no promise to make.
    return queued === QUEUED ? queued : queued.then(undefined, rethrow);
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
        return rejectWith('INVALID_ARGUMENT', messageOf(error), error);
      }
    }
    return this.transport.waitForSubscribers(count, wait).then(undefined, rethrow);
  }

  subscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const [prefix, count] of this.transport.subscriptions()) {
      out.push({ ...parseSubscriptionPrefix(prefix), count });
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
    const setKeys = transport.setAllowedClientKeys;
    if (typeof setKeys !== 'function') {
      throw new PubSubError(
        'INVALID_ARGUMENT',
        "this publisher's transport has no setAllowedClientKeys (an injected transport without an allow-list)",
      );
    }
    // A TypeError: no allow-list (created without allowedClientKeys) or a malformed key.
    translate(() => setKeys.call(transport, keys), 'INVALID_ARGUMENT');
  }

  stats(): PublisherStats {
    const transport = this.transport.stats();
    return {
      published: this.published,
      dropped: transport.drops,
      // Only the ZeroMQ transport counts these; the interface does not require it.
      unmatched: (transport as Partial<PublisherTransportStats>).unmatched ?? 0,
      queueDepth: transport.queueDepth,
      streams: this.streams.size,
      listenerErrors: this.listeners.errors,
      transport,
    };
  }

  close(): Promise<void> {
    this.closePromise ??= this.transport.close().then(() => {
      this.logger.info({ event: 'closed', published: this.published }, 'publisher closed');
    }, rethrow);
    return this.closePromise;
  }
}
