import { checkOverflowPolicy, EMPTY_METADATA, Listeners, type Metadata } from '@xsmb/base';
import { type Codec, createMsgpackCodec, validate } from '@xsmb/codec';
import {
  createSubscriberTransport,
  type Delivery,
  type SubscriberTransport,
  type SubscriberTransportOptions,
  type TransportStats,
} from '@xsmb/transport';
import {
  type CompactHeader,
  checkEnvelope,
  type InvalidReason,
  readCompactHeader,
} from './envelope.js';
import { type ConnectionEvents, type ConnectionListener, onConnectionEvent } from './events.js';
import { PubSubError } from './pubsub-error.js';
import type { PubSubListener } from './pubsub-listener.js';
import { advance, SequenceTracker, type StreamState } from './sequence-tracker.js';
import {
  type MessageErrorHandler,
  type MessageHandler,
  type OverflowPolicy,
  type Subscription,
  SubscriptionImpl,
  type TopicMessage,
} from './subscription.js';
import { checkTopicName, type Topic } from './topic.js';
import { checkKey, encodeTopicFrame, parseTopicFrame } from './topic-frame.js';

/** Default of the transport's `maxMessageBytes`, mirrored for the codec's limit. */
const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Topic frames whose routing is cached; the cache is dropped when it grows past this. */
const MAX_ROUTES = 4096;

/** Options of {@link createSubscriber}. All optional. */
export interface SubscriberOptions {
  /** Publisher or broker endpoints to connect to; more with `connect()`. Default: none. */
  endpoints?: readonly string[];
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
  /** Endpoints connected to (as given). */
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

/** How messages with one topic frame are routed; cached per frame. */
interface Route {
  readonly frameKey: string;
  readonly topic: string;
  readonly key: string | undefined;
  readonly subs: SubscriptionImpl<unknown>[];
}

interface ReadyWaiter {
  readonly resolve: () => void;
  readonly reject: (error: PubSubError) => void;
  timer: NodeJS.Timeout | undefined;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class SubscriberImpl implements Subscriber {
  private readonly transport: SubscriberTransport;
  private readonly codec: Codec;
  private readonly listeners: Listeners<PubSubListener>;
  private readonly hasReceive: boolean;
  private readonly bufferSize: number;
  private readonly whenFull: OverflowPolicy;
  private readonly tracker: SequenceTracker;
  private readonly subs = new Set<SubscriptionImpl<unknown>>();
  /** Prefixes subscribed on the socket (latin1) and how many subscriptions use each. */
  private readonly prefixes = new Map<string, number>();
  private readonly routes = new Map<string, Route>();
  private readonly endpointList: string[] = [];
  private readonly connected = new Set<string>();
  private readyWaiters: ReadyWaiter[] = [];
  private blocked: SubscriptionImpl<unknown>[] = [];
  private iterator: AsyncIterator<Delivery> | undefined;
  /** The transport's synchronous burst reader, when it has one. */
  private readonly drain: SubscriberTransport['drainBuffered'];
  private drainPending: Promise<void> | undefined;
  private closedFlag = false;
  private closePromise: Promise<void> | undefined;
  private retiredDropped = 0;
  private readonly counters = { received: 0, invalid: 0, gaps: 0 };
  // One-entry caches: consecutive messages usually share a topic frame (a
  // burst carries one, and the transport hands out the same frame object for
  // all of its entries) and a publisher.
  private lastFrame: Uint8Array | undefined;
  private lastRoute: Route | undefined;
  private readonly lastId = Buffer.alloc(8);
  private lastHex = '';
  private readonly header: CompactHeader = { seq: 0, valueOffset: 0 };
  private lastState: StreamState | undefined;
  private lastStateRoute: Route | undefined;
  private lastStatePublisher = '';

  constructor(options: SubscriberOptions) {
    this.bufferSize = positiveInt('bufferSize', options.bufferSize ?? 1024);
    this.whenFull = checkOverflowPolicy(options.whenFull ?? 'wait');
    this.tracker = new SequenceTracker(positiveInt('maxStreams', options.maxStreams ?? 65_536));
    this.codec =
      options.codec ??
      createMsgpackCodec({
        maxBytes: options.transportOptions?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      });
    this.listeners = new Listeners<PubSubListener>(options.listeners);
    this.hasReceive = this.listeners.has('onReceive');
    // Endpoints are connected below, after the listeners are in place.
    this.transport = options.transport ?? createSubscriberTransport(options.transportOptions);
    this.drain = this.transport.drainBuffered?.bind(this.transport);
    this.transport.on('connected', (e) => {
      this.connected.add(e.endpoint);
      this.checkReady();
    });
    this.transport.on('disconnected', (e) => {
      this.connected.delete(e.endpoint);
    });
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
    this.read();
  }

  get endpoints(): readonly string[] {
    return this.endpointList;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw new PubSubError('CLOSED', 'subscriber is closed');
    try {
      this.transport.connect(endpoint);
    } catch (error) {
      throw PubSubError.from(error);
    }
    this.endpointList.push(endpoint);
  }

  subscribe<I, O>(
    topic: Topic<I, O>,
    given: SubscribeOptions | SubscribeCallbackOptions<O> = {},
  ): Subscription<O> {
    const options = given as SubscribeOptions & Partial<SubscribeCallbackOptions<O>>;
    if (this.closedFlag) throw new PubSubError('CLOSED', 'subscriber is closed');
    let prefix: Buffer;
    let capacity: number;
    let policy: OverflowPolicy;
    const key = options.key === '' ? undefined : options.key;
    try {
      checkTopicName(topic.name);
      if (key !== undefined) checkKey(key);
      prefix = encodeTopicFrame(topic.name, key);
      capacity = positiveInt('bufferSize', options.bufferSize ?? this.bufferSize);
      policy = checkOverflowPolicy(options.whenFull ?? this.whenFull);
      if (options.onMessage !== undefined && typeof options.onMessage !== 'function') {
        throw new TypeError('onMessage must be a function');
      }
    } catch (error) {
      throw new PubSubError('INVALID_ARGUMENT', describe(error), { cause: error });
    }
    const sub = new SubscriptionImpl<O>({
      topic: topic.name,
      key,
      prefix,
      schema: topic.schema as SubscriptionImpl<O>['schema'],
      capacity,
      policy,
      onStop: (s) => this.remove(s as SubscriptionImpl<unknown>),
      onMessage: options.onMessage,
      onError: options.onError,
    });
    this.subs.add(sub as SubscriptionImpl<unknown>);
    this.invalidateRoutes();
    const refs = this.prefixes.get(sub.prefixKey) ?? 0;
    this.prefixes.set(sub.prefixKey, refs + 1);
    // One socket subscription per distinct prefix: the publisher's counts
    // then mean "subscriber sockets", and unsubscribing one of two identical
    // subscriptions does not cut off the other.
    if (refs === 0) this.transport.subscribe(prefix);
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) sub.stop();
      else signal.addEventListener('abort', () => sub.stop(), { once: true });
    }
    return sub;
  }

  private remove(sub: SubscriptionImpl<unknown>): void {
    if (!this.subs.delete(sub)) return;
    this.retiredDropped += sub.dropped;
    this.invalidateRoutes();
    const refs = this.prefixes.get(sub.prefixKey) ?? 0;
    if (refs > 1) {
      this.prefixes.set(sub.prefixKey, refs - 1);
      return;
    }
    this.prefixes.delete(sub.prefixKey);
    if (this.closedFlag) return;
    this.transport.unsubscribe(sub.prefix);
    this.tracker.retain([...this.prefixes.keys()]);
    this.lastState = undefined;
  }

  private invalidateRoutes(): void {
    this.routes.clear();
    this.lastFrame = undefined;
    this.lastRoute = undefined;
    this.lastState = undefined;
  }

  ready(options: ReadyOptions = {}): Promise<void> {
    if (this.closedFlag) return Promise.reject(new PubSubError('CLOSED', 'subscriber is closed'));
    if (this.isReady()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadyWaiter = { resolve, reject, timer: undefined };
      const timeoutMs = options.timeoutMs;
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
          const up = this.endpointList.filter((e) => this.connected.has(e)).length;
          reject(
            new PubSubError(
              'TIMEOUT',
              `${up} of ${this.endpointList.length} endpoints connected after ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }
      this.readyWaiters.push(waiter);
    });
  }

  private isReady(): boolean {
    const endpoints = this.endpointList;
    // The transport reports the address it connected to, normally the string
    // given to connect(); the count covers a transport that rewrites it.
    return endpoints.every((e) => this.connected.has(e)) || this.connected.size >= endpoints.length;
  }

  private checkReady(): void {
    if (this.readyWaiters.length === 0 || !this.isReady()) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionListener<K>): () => void {
    return onConnectionEvent(this.transport, event, listener, () => {
      this.listeners.errors++;
    });
  }

  stats(): SubscriberStats {
    let dropped = this.retiredDropped;
    for (const sub of this.subs) dropped += sub.dropped;
    return {
      ...this.counters,
      dropped,
      subscriptions: this.subs.size,
      streams: this.tracker.size,
      listenerErrors: this.listeners.errors,
      transport: this.transport.stats(),
    };
  }

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new PubSubError('CLOSED', 'subscriber is closed'));
      }
      for (const sub of [...this.subs]) sub.stop();
      this.closePromise = this.transport.close().then(undefined, (error: unknown) => {
        throw PubSubError.from(error);
      });
    }
    return this.closePromise;
  }

  /**
   * The one reader of the socket: decodes, checks, numbers and routes every
   * message. Written as promise callbacks rather than an async loop: one
   * message costs one microtask hop and nothing else.
   */
  private read(): void {
    this.iterator = this.transport[Symbol.asyncIterator]();
    this.resume();
  }

  private readonly resume = (): void => {
    const blocked = this.blocked.pop();
    if (blocked !== undefined) {
      // A 'wait' subscription is full: read nothing until it has room.
      blocked.space().then(this.resume, this.resume);
      return;
    }
    let next: Promise<IteratorResult<Delivery>>;
    try {
      next = this.iterator!.next();
    } catch {
      this.onEnd();
      return;
    }
    next.then(this.onNext, this.onEnd);
  };

  private readonly onNext = (next: IteratorResult<Delivery>): void => {
    if (next.done === true) {
      this.onEnd();
      return;
    }
    let pending: Promise<void> | undefined;
    try {
      const message = next.value.message;
      pending = this.handle(next.value.topic, message, 0, message.length);
    } catch {
      // Not expected (decoding, validation and listeners are guarded inside);
      // if it happens, losing one message beats losing the subscriber.
      this.counters.invalid++;
    }
    // The rest of the burst, synchronously: no promise per message.
    if (pending === undefined && this.blocked.length === 0 && this.drain !== undefined) {
      this.drain(this.drainSink);
      pending = this.drainPending;
      this.drainPending = undefined;
    }
    if (pending !== undefined) pending.then(this.resume, this.resume);
    else this.resume();
  };

  /** Handles one entry of a burst; false stops the drain (a wait, or a full subscription). */
  private readonly drainSink = (
    topic: Uint8Array,
    burst: Uint8Array,
    start: number,
    end: number,
  ): boolean => {
    let pending: Promise<void> | undefined;
    try {
      pending = this.handle(topic, burst, start, end);
    } catch {
      this.counters.invalid++;
    }
    if (pending !== undefined) {
      this.drainPending = pending;
      return false;
    }
    return this.blocked.length === 0;
  };

  /** The transport ended (closed) or failed underneath: end every subscription. */
  private readonly onEnd = (): void => {
    for (const sub of [...this.subs]) sub.stop();
  };

  private route(frame: Uint8Array): Route {
    const buf = Buffer.isBuffer(frame)
      ? frame
      : Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    const frameKey = buf.toString('latin1');
    let route = this.routes.get(frameKey);
    if (route === undefined) {
      const parsed = parseTopicFrame(buf);
      const subs: SubscriptionImpl<unknown>[] = [];
      // ZeroMQ filters per socket; with several subscriptions each one
      // filters again here. A frame without the separator matches none.
      if (parsed !== undefined) {
        for (const sub of this.subs) if (frameKey.startsWith(sub.prefixKey)) subs.push(sub);
      }
      route = { frameKey, topic: parsed?.topic ?? '', key: parsed?.key, subs };
      if (this.routes.size >= MAX_ROUTES) this.routes.clear();
      this.routes.set(frameKey, route);
    }
    return route;
  }

  /** Handles the message `bytes[start, end)` published under topic frame `frame`. */
  private handle(
    frame: Uint8Array,
    bytes: Uint8Array,
    start: number,
    end: number,
  ): Promise<void> | undefined {
    let route = this.lastRoute;
    if (frame !== this.lastFrame || route === undefined) {
      route = this.route(frame);
      this.lastFrame = frame;
      this.lastRoute = route;
    }
    const subs = route.subs;
    // Unsubscribed while these were in flight, or not for us at all.
    if (subs.length === 0) return undefined;

    const header = this.header;
    let publisher: string;
    let seq: number;
    let metadata: Readonly<Metadata>;
    let value: unknown;
    const codec = this.codec;
    if (readCompactHeader(bytes, header, start, end)) {
      // Fast path (xSMB's own form without metadata): only the value is decoded.
      seq = header.seq;
      publisher = this.publisherAt(bytes, start + 4);
      metadata = EMPTY_METADATA;
      const offset = start + header.valueOffset;
      try {
        value =
          codec.decodeSlice !== undefined
            ? codec.decodeSlice(bytes, offset, end)
            : codec.decode(bytes.subarray(offset, end));
      } catch (error) {
        this.invalid(route, publisher, undefined, 'malformed', describe(error), error);
        return undefined;
      }
    } else {
      let decoded: unknown;
      try {
        decoded =
          codec.decodeSlice !== undefined
            ? codec.decodeSlice(bytes, start, end)
            : codec.decode(bytes.subarray(start, end));
      } catch (error) {
        this.invalid(route, undefined, undefined, 'malformed', describe(error), error);
        return undefined;
      }
      const problem = checkEnvelope(decoded);
      if (problem !== undefined) {
        this.invalid(route, undefined, undefined, problem.reason, problem.message, undefined);
        return undefined;
      }
      const fields = decoded as unknown[];
      seq = fields[2] as number;
      publisher = this.publisherAt(fields[1] as Uint8Array, 0);
      const raw = fields[3];
      metadata = raw === null || raw === undefined ? EMPTY_METADATA : (raw as Readonly<Metadata>);
      value = fields[4];
    }
    let state = this.lastState;
    if (
      state === undefined ||
      route !== this.lastStateRoute ||
      publisher !== this.lastStatePublisher
    ) {
      state = this.tracker.state(publisher, route.frameKey);
      this.lastState = state;
      this.lastStateRoute = route;
      this.lastStatePublisher = publisher;
    }
    const missing = advance(state, seq);
    if (missing > 0) this.gap(route, publisher, seq, missing);
    this.counters.received++;

    let shared: TopicMessage<unknown> | undefined;
    let pending: Promise<void> | undefined;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      const schema = sub.schema;
      if (schema === undefined) {
        shared ??= { value, topic: route.topic, key: route.key, metadata, seq, publisher };
        const wait = this.deliver(sub, shared);
        if (wait !== undefined) pending = pending === undefined ? wait : pending.then(() => wait);
        continue;
      }
      let result: unknown;
      try {
        result = validate(schema, value);
      } catch (error) {
        this.invalid(route, publisher, sub, 'validation', describe(error), error);
        continue;
      }
      const r = route;
      const make = (v: unknown): TopicMessage<unknown> => ({
        value: v,
        topic: r.topic,
        key: r.key,
        metadata,
        seq,
        publisher,
      });
      if (result instanceof Promise) {
        // Asynchronous schema: the reader waits for it, so order is kept.
        const settled = result.then(
          (v: unknown) => this.deliver(sub, make(v)),
          (error: unknown) => this.invalid(r, publisher, sub, 'validation', describe(error), error),
        );
        pending = pending === undefined ? settled : pending.then(() => settled);
      } else {
        const wait = this.deliver(sub, make(result));
        if (wait !== undefined) pending = pending === undefined ? wait : pending.then(() => wait);
      }
    }
    return pending;
  }

  /** The hex id of the publisher whose 8-byte id is at `offset` in `bytes`; cached for runs. */
  private publisherAt(bytes: Uint8Array, offset: number): string {
    const last = this.lastId;
    let same = true;
    for (let i = 0; i < 8; i++) {
      if (bytes[offset + i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (same && this.lastHex !== '') return this.lastHex;
    last.set(bytes.subarray(offset, offset + 8));
    this.lastHex = last.toString('hex');
    return this.lastHex;
  }

  /** Hands a message to one subscription; a promise when the reader must wait for it. */
  private deliver(
    sub: SubscriptionImpl<unknown>,
    message: TopicMessage<unknown>,
  ): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    if (sub.callback) wait = sub.call(message);
    else if (sub.offer(message)) this.blocked.push(sub);
    if (this.hasReceive) {
      this.listeners.emit('onReceive', {
        topic: message.topic,
        key: message.key,
        seq: message.seq,
        publisher: message.publisher,
        metadata: message.metadata,
        value: message.value,
      });
    }
    return wait;
  }

  private gap(route: Route, publisher: string, seq: number, missing: number): void {
    this.counters.gaps += missing;
    for (const sub of route.subs) sub.counters.gaps += missing;
    if (this.listeners.has('onGap')) {
      this.listeners.emit('onGap', {
        topic: route.topic,
        key: route.key,
        publisher,
        expected: seq - missing,
        received: seq,
        missing,
      });
    }
  }

  private invalid(
    route: Route,
    publisher: string | undefined,
    only: SubscriptionImpl<unknown> | undefined,
    reason: InvalidReason,
    message: string,
    error: unknown,
  ): void {
    this.counters.invalid++;
    if (only !== undefined) only.counters.invalid++;
    else for (const sub of route.subs) sub.counters.invalid++;
    if (this.listeners.has('onInvalid')) {
      this.listeners.emit('onInvalid', {
        topic: route.topic,
        key: route.key,
        publisher,
        reason,
        message,
        error,
      });
    }
  }
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
