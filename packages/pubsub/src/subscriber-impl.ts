/**
 * The subscriber, put together from its parts: the subscription registry
 * (which prefixes the socket subscribes to), the socket reader, the message
 * dispatcher (envelopes, sequence gaps, delivery), endpoint readiness, and
 * its counters.
 */

import {
  checkOverflowPolicy,
  childLogger,
  Listeners,
  type Logger,
  silentLogger,
  withLogger,
} from '@xsmb/base';
import {
  createSubscriberTransport,
  type DiscoveryEvent,
  type EndpointChange,
  EndpointsResolver,
  type SubscriberTransport,
} from '@xsmb/transport';
import { EndpointReadiness } from './endpoint-readiness.js';
import { defaultEnvelopeCodec } from './envelope.js';
import { type ConnectionEvents, type ConnectionListener, onConnectionEvent } from './events.js';
import { logListener } from './log-listener.js';
import { type DispatchCounters, MessageDispatcher } from './message-dispatcher.js';
import { messageOf, PubSubError, rethrow, translate } from './pubsub-error.js';
import type { PubSubListener } from './pubsub-listener.js';
import { SequenceTracker } from './sequence-tracker.js';
import { SocketReader } from './socket-reader.js';
import type {
  ReadyOptions,
  SubscribeCallbackOptions,
  SubscribeOptions,
  Subscriber,
  SubscriberOptions,
  SubscriberStats,
} from './subscriber.js';
import { type OverflowPolicy, type Subscription, SubscriptionImpl } from './subscription.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { checkTopicName, type Topic } from './topic.js';
import { checkKey, encodeTopicFrame } from './topic-frame.js';

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

/** The implementation behind `createSubscriber`. */
export class SubscriberImpl implements Subscriber {
  private readonly transport: SubscriberTransport;
  private readonly listeners: Listeners<PubSubListener>;
  private readonly bufferSize: number;
  private readonly whenFull: OverflowPolicy;
  private readonly tracker: SequenceTracker;
  private readonly registry = new SubscriptionRegistry();
  private readonly readiness: EndpointReadiness;
  /** Set when `endpoints` hold resolver targets or a resolver was given. */
  private readonly discovery: EndpointsResolver | undefined;
  private readonly onEndpointEvent: ((event: DiscoveryEvent) => void) | undefined;
  private readonly counters: DispatchCounters = { received: 0, invalid: 0, gaps: 0 };
  private closedFlag = false;
  private closePromise: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly logged: ReturnType<typeof logListener> | undefined;

  constructor(options: SubscriberOptions) {
    this.logger =
      options.logger === undefined
        ? silentLogger
        : childLogger(options.logger, { component: 'subscriber' });
    this.logged = options.logger === undefined ? undefined : logListener(this.logger);
    this.bufferSize = positiveInt('bufferSize', options.bufferSize ?? 1024);
    this.whenFull = checkOverflowPolicy(options.whenFull ?? 'wait');
    this.tracker = new SequenceTracker(positiveInt('maxStreams', options.maxStreams ?? 65_536));
    this.listeners = new Listeners<PubSubListener>(
      this.logged === undefined ? options.listeners : [...(options.listeners ?? []), this.logged],
    );
    // Endpoints are connected below, after the listeners are in place.
    this.transport =
      options.transport ??
      createSubscriberTransport(withLogger(options.transportOptions, options.logger));
    const endpoints = options.endpoints ?? [];
    const discover = EndpointsResolver.needed(endpoints, options.resolver);
    if (discover) {
      // Before readiness hears of it: a publisher that was up went away, it may have moved.
      this.transport.on('disconnected', (e) => {
        if (this.readiness.isConnected(e.endpoint)) this.discovery?.resolveNow();
      });
    }
    this.readiness = new EndpointReadiness(this.transport);
    this.onEndpointEvent = options.onEndpointEvent;
    if (discover) {
      this.readiness.setPending(true);
      try {
        this.discovery = new EndpointsResolver(
          endpoints,
          { resolver: options.resolver, dns: options.dns },
          {
            changed: (change) => this.follow(change),
            event: (event) => this.endpointEvent(event),
            settled: () => this.readiness.setPending(false),
          },
        );
      } catch (error) {
        // A bad target: nothing was connected, the socket must not stay open.
        this.transport.close().catch(() => {});
        throw PubSubError.from(error);
      }
      if (this.discovery.settled) this.readiness.setPending(false);
    } else {
      for (const endpoint of endpoints) this.connect(endpoint);
    }
    const dispatcher = new MessageDispatcher({
      codec: options.codec ?? defaultEnvelopeCodec(options.transportOptions?.maxMessageBytes),
      registry: this.registry,
      tracker: this.tracker,
      listeners: this.listeners,
      counters: this.counters,
    });
    new SocketReader(
      this.transport,
      dispatcher,
      () => this.counters.invalid++,
      // The transport ended (closed) or failed underneath: end every subscription.
      () => {
        for (const sub of this.registry.list()) sub.stop();
      },
    );
  }

  get endpoints(): readonly string[] {
    return this.readiness.endpoints;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw new PubSubError('CLOSED', 'subscriber is closed');
    translate(() => this.transport.connect(endpoint));
    this.readiness.add(endpoint);
  }

  /** Connects to the endpoints discovery added; forgets the removed ones. */
  private follow(change: EndpointChange): void {
    if (this.closedFlag) return;
    for (const { endpoint } of change.added) this.connect(endpoint);
    for (const endpoint of change.removed) {
      // Forgotten first: the `disconnected` this causes is not a loss to re-resolve for.
      this.readiness.remove(endpoint);
      // Stops the socket from reconnecting to an address the publisher left
      // (another service may get it) and ends that connection if it is up.
      translate(() => this.transport.disconnect(endpoint));
    }
  }

  private endpointEvent(event: DiscoveryEvent): void {
    if (this.onEndpointEvent === undefined) return;
    try {
      this.onEndpointEvent(event);
    } catch {
      this.listeners.errors++;
    }
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
      throw new PubSubError('INVALID_ARGUMENT', messageOf(error), { cause: error });
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
    if (this.registry.add(sub as SubscriptionImpl<unknown>)) this.transport.subscribe(prefix);
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) sub.stop();
      else signal.addEventListener('abort', () => sub.stop(), { once: true });
    }
    return sub;
  }

  private remove(sub: SubscriptionImpl<unknown>): void {
    if (!this.registry.remove(sub) || this.closedFlag) return;
    this.transport.unsubscribe(sub.prefix);
    this.tracker.retain(this.registry.activePrefixes());
  }

  ready(options: ReadyOptions = {}): Promise<void> {
    if (this.closedFlag) return Promise.reject(new PubSubError('CLOSED', 'subscriber is closed'));
    return this.readiness.wait(options.timeoutMs);
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionListener<K>): () => void {
    return onConnectionEvent(this.transport, event, listener, () => {
      this.listeners.errors++;
    });
  }

  stats(): SubscriberStats {
    return {
      ...this.counters,
      dropped: this.registry.dropped,
      subscriptions: this.registry.size,
      streams: this.tracker.size,
      listenerErrors: this.listeners.errors,
      resolutionErrors: this.discovery?.errors ?? 0,
      transport: this.transport.stats(),
    };
  }

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.discovery?.close();
      this.readiness.close();
      for (const sub of this.registry.list()) sub.stop();
      this.closePromise = this.transport.close().then(() => {
        this.logged?.flush();
        const { received, invalid, gaps } = this.counters;
        this.logger.info({ event: 'closed', received, invalid, gaps }, 'subscriber closed');
      }, rethrow);
    }
    return this.closePromise;
  }
}
