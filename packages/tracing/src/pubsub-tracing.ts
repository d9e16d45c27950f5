/**
 * Tracing and metrics for `@xsmb/pubsub`. Only types come from that package
 * (an optional peer dependency), so RPC-only users never load it.
 */

import {
  type Attributes,
  type Counter,
  context,
  createNoopMeter,
  isSpanContextValid,
  type MeterProvider,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
  ValueType,
} from '@opentelemetry/api';
import type {
  PublishInterceptor,
  PublishNext,
  PublishRequest,
  PubSubListener,
  ReceiveEvent,
} from '@xsmb/pubsub';
import { metadataGetter, metadataSetter } from './metadata-carrier.js';
import type { PubSubTracingOptions } from './options.js';
import {
  MESSAGING_SYSTEM_NAME,
  MessagingAttribute,
  MessagingMetric,
} from './semantic-conventions.js';
import { contextWithSpan } from './span-context.js';
import { type Propagator, SCOPE_NAME, SCOPE_VERSION, TracerSource } from './telemetry.js';

/** What {@link pubsubTracing} returns: one half for publishers, one for subscribers. */
export interface PubSubTracing {
  /** For `createPublisher({ interceptors: [...] })`: PRODUCER spans, context injection, `sent` counts. */
  readonly interceptor: PublishInterceptor;
  /** For `createSubscriber({ listeners: [...] })`: CONSUMER spans, `consumed` counts. */
  readonly listener: PubSubListener;
}

type Operation = 'send' | 'receive';

/** Per-(topic, operation) constants, built on the topic's first message. */
interface TopicTelemetry {
  readonly spanName: string;
  /** Shared by every span of the topic: the SDK copies attributes, the no-op tracer ignores them. */
  readonly spanOptions: SpanOptions;
  readonly metricAttributes: Attributes;
}

const NOOP_METER = createNoopMeter();

/** Tracer, counters and per-topic constants of one `pubsubTracing()` instance. */
class MessagingTelemetry {
  readonly propagator: Propagator;
  readonly #tracers: TracerSource;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #metricsOn: boolean;
  readonly #topics: Record<Operation, Map<string, TopicTelemetry>> = {
    send: new Map(),
    receive: new Map(),
  };
  #currentMeterProvider: MeterProvider | undefined;
  #counters: Record<Operation, Counter> | undefined;

  constructor(options: PubSubTracingOptions) {
    this.propagator = options.propagator ?? propagation;
    this.#tracers = new TracerSource(options.tracerProvider);
    this.#meterProvider = options.meterProvider;
    this.#metricsOn = options.metrics ?? true;
  }

  /** The tracer, re-resolved only when the (global) provider object changes. */
  tracer(): Tracer {
    return this.#tracers.get();
  }

  /** The counters, or `undefined` when metrics are off or go nowhere (then nothing is counted). */
  counters(): Record<Operation, Counter> | undefined {
    if (!this.#metricsOn) return undefined;
    const provider = this.#meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.#currentMeterProvider) {
      this.#currentMeterProvider = provider;
      this.#counters = createCounters(provider);
    }
    return this.#counters;
  }

  /** The constants of `topic` for `operation`. Topics are a bounded set, so the cache is too. */
  topic(operation: Operation, topic: string): TopicTelemetry {
    const cache = this.#topics[operation];
    let t = cache.get(topic);
    if (t === undefined) {
      const metricAttributes: Attributes = {
        [MessagingAttribute.MESSAGING_SYSTEM]: MESSAGING_SYSTEM_NAME,
        [MessagingAttribute.MESSAGING_DESTINATION_NAME]: topic,
        [MessagingAttribute.MESSAGING_OPERATION_NAME]: operation,
      };
      t = {
        spanName: `${operation} ${topic}`,
        spanOptions: {
          kind: operation === 'send' ? SpanKind.PRODUCER : SpanKind.CONSUMER,
          attributes: {
            ...metricAttributes,
            [MessagingAttribute.MESSAGING_OPERATION_TYPE]: operation,
          },
        },
        metricAttributes,
      };
      cache.set(topic, t);
    }
    return t;
  }
}

function createCounters(provider: MeterProvider): Record<Operation, Counter> | undefined {
  const meter = provider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  if (meter === NOOP_METER) return undefined;
  const send = meter.createCounter(MessagingMetric.SENT_MESSAGES, {
    description: 'Messages published through xSMB pub/sub (failed ones carry error.type).',
    unit: '{message}',
    valueType: ValueType.INT,
  });
  // A provider whose meters are no-ops (e.g. a wrapper around the API's) costs nothing either.
  if (send === NOOP_METER.createCounter('x')) return undefined;
  const receive = meter.createCounter(MessagingMetric.CONSUMED_MESSAGES, {
    description: 'Messages handed to xSMB pub/sub subscriptions (once per matching subscription).',
    unit: '{message}',
    valueType: ValueType.INT,
  });
  return { send, receive };
}

/** `error.type` of a failed publish: the `PubSubError` code, else the error's class name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/**
 * Traces pub/sub messages, following the OpenTelemetry messaging
 * conventions:
 * - `interceptor` (publishers): a PRODUCER span `send <topic>` per publish,
 *   child of the active context, ended when the message is queued (status
 *   ERROR if `publish` fails); its context is injected into the message's
 *   metadata (W3C `traceparent`, `tracestate`, `baggage` with the usual
 *   propagators); `messaging.client.sent.messages` counts it.
 * - `listener` (subscribers): a CONSUMER span `receive <topic>` per message
 *   handed to a subscription, child of the context extracted from the
 *   metadata and linked to it, ended at once;
 *   `messaging.client.consumed.messages` counts it.
 *
 * With no OpenTelemetry SDK registered, only the (no-op) propagator runs.
 * `@xsmb/pubsub` is an optional peer dependency: only its types are used.
 *
 * @example
 * const tracing = pubsubTracing();
 * const pub = createPublisher({ interceptors: [tracing.interceptor] });
 * const sub = createSubscriber({ endpoints, listeners: [tracing.listener] });
 */
export function pubsubTracing(options: PubSubTracingOptions = {}): PubSubTracing {
  const telemetry = new MessagingTelemetry(options);

  const interceptor: PublishInterceptor = (next) => (request) => {
    const t = telemetry.topic('send', request.topic);
    const parent = context.active();
    const span = telemetry.tracer().startSpan(t.spanName, t.spanOptions, parent);
    const counter = telemetry.counters()?.send;
    if (!span.isRecording()) {
      // Still propagate: a remote or non-sampled parent must reach the subscribers.
      telemetry.propagator.inject(contextWithSpan(parent, span), request.metadata, metadataSetter);
      if (counter === undefined) return next(request);
      return send(next, request, undefined, counter, t);
    }
    if (request.key !== undefined)
      span.setAttribute(MessagingAttribute.XSMB_MESSAGE_KEY, request.key);
    const active = trace.setSpan(parent, span);
    telemetry.propagator.inject(active, request.metadata, metadataSetter);
    // Inner interceptors see the producer span as active.
    return context.with(active, send, undefined, next, request, span, counter, t);
  };

  const listener: PubSubListener = {
    onReceive(event: ReceiveEvent) {
      const t = telemetry.topic('receive', event.topic);
      // The parent comes from the message only, never from whatever context the subscriber runs in.
      const parent = telemetry.propagator.extract(ROOT_CONTEXT, event.metadata, metadataGetter);
      const producer = trace.getSpanContext(parent);
      // The conventions want the creation context as a link; it is also the parent (one message).
      const spanOptions =
        producer !== undefined && isSpanContextValid(producer)
          ? { ...t.spanOptions, links: [{ context: producer }] }
          : t.spanOptions;
      const span = telemetry.tracer().startSpan(t.spanName, spanOptions, parent);
      if (span.isRecording()) {
        if (event.key !== undefined)
          span.setAttribute(MessagingAttribute.XSMB_MESSAGE_KEY, event.key);
        span.setAttribute(MessagingAttribute.XSMB_MESSAGE_SEQ, event.seq);
        span.setAttribute(MessagingAttribute.XSMB_PUBLISHER_ID, event.publisher);
      }
      span.end();
      telemetry.counters()?.receive.add(1, t.metricAttributes);
    },
  };

  return { interceptor, listener };
}

/** Runs the rest of the chain, then ends the span (if recording) and counts the outcome. */
function send(
  next: PublishNext,
  request: PublishRequest,
  span: Span | undefined,
  counter: Counter | undefined,
  t: TopicTelemetry,
): Promise<void> {
  const failed = (error: unknown): never => {
    const type = errorType(error);
    counter?.add(1, { ...t.metricAttributes, [MessagingAttribute.ERROR_TYPE]: type });
    if (span !== undefined) {
      span.setAttribute(MessagingAttribute.ERROR_TYPE, type);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      span.end();
    }
    throw error;
  };
  let queued: Promise<void>;
  try {
    queued = next(request);
  } catch (error) {
    // A throwing inner interceptor fails this publish like a rejection would.
    queued = Promise.reject(error);
  }
  return queued.then(() => {
    counter?.add(1, t.metricAttributes);
    span?.end();
  }, failed);
}
