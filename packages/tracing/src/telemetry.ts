/**
 * The state one interceptor instance shares across its calls: the tracer,
 * the metric instruments (created once per provider), the propagator, and
 * per-method constants (span options, metric attribute sets) so that a call
 * allocates no attribute objects of its own.
 */

import { createRequire } from 'node:module';
import {
  type Attributes,
  type Context,
  type Counter,
  createNoopMeter,
  type Histogram,
  type MeterProvider,
  metrics,
  propagation,
  SpanKind,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
  ValueType,
} from '@opentelemetry/api';
import { codeName } from '@xsmb/rpc';
import { type ActiveCalls, activeCallsOf } from './active-calls.js';
import {
  defaultFilter,
  type RecordMessages,
  type TracedMethod,
  type TracingOptions,
} from './options.js';
import {
  DURATION_BUCKETS,
  RPC_SYSTEM_NAME,
  TracingAttribute,
  TracingMetric,
} from './semantic-conventions.js';
import { isFailure, type Side } from './status.js';

/** Instrumentation scope name of the tracer and meter. */
export const SCOPE_NAME = '@xsmb/tracing';
/** Instrumentation scope version: this package's version. */
export const SCOPE_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;

/** The tracer of a configured provider (else the global one), re-resolved only when the provider object changes. */
export class TracerSource {
  readonly #provider: TracerProvider | undefined;
  #current: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(provider: TracerProvider | undefined) {
    this.#provider = provider;
  }

  get(): Tracer {
    const provider = this.#provider ?? trace.getTracerProvider();
    if (provider !== this.#current || !this.#tracer) {
      this.#current = provider;
      this.#tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
    }
    return this.#tracer;
  }
}

/** The metric instruments of one side. */
export interface Instruments {
  readonly duration: Histogram;
  readonly active: ActiveCalls;
  readonly sent: Counter;
  readonly received: Counter;
}

/** What the interceptors need of a propagator (both the API object and a `TextMapPropagator` fit). */
export interface Propagator {
  inject<C>(context: Context, carrier: C, setter: TextMapSetter<C>): void;
  extract<C>(context: Context, carrier: C, getter: TextMapGetter<C>): Context;
}

const NOOP_METER = createNoopMeter();

/** Per-method constants, computed on the method's first call. */
export class MethodTelemetry {
  readonly streaming: boolean;
  readonly spanOptions: SpanOptions;
  /** Metric attributes without an outcome (in-flight and message counters). */
  readonly base: Attributes;
  readonly #side: Side;
  readonly #byCode = new Map<number, Attributes>();

  constructor(
    side: Side,
    readonly path: string,
    readonly kind: string,
    readonly traced: boolean,
  ) {
    this.#side = side;
    this.streaming = kind !== 'unary';
    // One options object per method: the SDK copies the attributes, the no-op tracer ignores them.
    this.spanOptions = {
      kind: side === 'client' ? SpanKind.CLIENT : SpanKind.SERVER,
      attributes: {
        [TracingAttribute.RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME,
        [TracingAttribute.RPC_METHOD]: path,
        [TracingAttribute.XSMB_KIND]: kind,
      },
    };
    this.base = {
      [TracingAttribute.RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME,
      [TracingAttribute.RPC_METHOD]: path,
    };
  }

  /** Duration attributes for an outcome, built once per code. */
  outcome(code: number): Attributes {
    let attributes = this.#byCode.get(code);
    if (!attributes) {
      const name = codeName(code);
      attributes = { ...this.base, [TracingAttribute.RPC_RESPONSE_STATUS_CODE]: name };
      if (isFailure(code, this.#side)) attributes[TracingAttribute.ERROR_TYPE] = name;
      this.#byCode.set(code, attributes);
    }
    return attributes;
  }
}

/** The shared state of one `clientTracing()` or `serverTracing()` instance. */
export class Telemetry {
  readonly side: Side;
  readonly propagator: Propagator;
  readonly recordMessages: RecordMessages;
  readonly #tracers: TracerSource;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #metricsOn: boolean;
  readonly #filter: (method: TracedMethod) => boolean;
  readonly #methods = new Map<string, MethodTelemetry>();
  #currentMeterProvider: MeterProvider | undefined;
  #instruments: Instruments | undefined;

  constructor(side: Side, options: TracingOptions) {
    this.side = side;
    this.propagator = options.propagator ?? propagation;
    this.recordMessages = options.recordMessages ?? 'count';
    this.#tracers = new TracerSource(options.tracerProvider);
    this.#meterProvider = options.meterProvider;
    this.#metricsOn = options.metrics ?? true;
    this.#filter = options.filter ?? defaultFilter;
  }

  /** The tracer, re-resolved only when the (global) provider object changes. */
  tracer(): Tracer {
    return this.#tracers.get();
  }

  /**
   * The instruments, or `undefined` when metrics are off or go nowhere (the
   * API's no-op meter): then calls skip timing and counting altogether.
   */
  instruments(): Instruments | undefined {
    if (!this.#metricsOn) return undefined;
    const provider = this.#meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.#currentMeterProvider) {
      this.#currentMeterProvider = provider;
      this.#instruments = createInstruments(provider, this.side);
    }
    return this.#instruments;
  }

  /** The per-method constants of `request`'s method (cached by path). */
  /**
   * A lookup for one interceptor chain: a chain serves one method, so it
   * remembers the last method instead of looking it up per call.
   */
  lookup(): (request: TracedMethod) => MethodTelemetry {
    let last: MethodTelemetry | undefined;
    return (request) => {
      if (last === undefined || last.path !== request.path) last = this.method(request);
      return last;
    };
  }

  method(request: TracedMethod): MethodTelemetry {
    let method = this.#methods.get(request.path);
    if (!method) {
      let traced: boolean;
      try {
        traced = this.#filter({
          service: request.service,
          method: request.method,
          path: request.path,
          kind: request.kind,
        });
      } catch {
        // A broken filter must not break calls; tracing the method is the visible failure mode.
        traced = true;
      }
      method = new MethodTelemetry(this.side, request.path, request.kind, traced);
      this.#methods.set(request.path, method);
    }
    return method;
  }
}

function createInstruments(provider: MeterProvider, side: Side): Instruments | undefined {
  const meter = provider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  if (meter === NOOP_METER) return undefined;
  const client = side === 'client';
  const duration = meter.createHistogram(
    client ? TracingMetric.CLIENT_CALL_DURATION : TracingMetric.SERVER_CALL_DURATION,
    {
      description: client
        ? 'Duration of outgoing xSMB calls (streams: until the stream ended).'
        : 'Duration of incoming xSMB calls (streams: until the stream ended).',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    },
  );
  // A provider whose meters are no-ops (e.g. a wrapper around the API's) costs nothing either.
  if (duration === NOOP_METER.createHistogram('x')) return undefined;
  return {
    duration,
    active: activeCallsOf(provider, side, SCOPE_NAME, SCOPE_VERSION),
    sent: meter.createCounter(
      client ? TracingMetric.CLIENT_MESSAGES_SENT : TracingMetric.SERVER_MESSAGES_SENT,
      {
        description: `Stream messages sent by xSMB ${side}s.`,
        unit: '{message}',
        valueType: ValueType.INT,
      },
    ),
    received: meter.createCounter(
      client ? TracingMetric.CLIENT_MESSAGES_RECEIVED : TracingMetric.SERVER_MESSAGES_RECEIVED,
      {
        description: `Stream messages received by xSMB ${side}s.`,
        unit: '{message}',
        valueType: ValueType.INT,
      },
    ),
  };
}
