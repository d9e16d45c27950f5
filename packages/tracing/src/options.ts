import type { MeterProvider, TextMapPropagator, TracerProvider } from '@opentelemetry/api';

/** What a {@link TracingOptions.filter} sees of a method. */
export interface TracedMethod {
  /** Service name, e.g. `demo.Greeter`. */
  readonly service: string;
  /** Method name, e.g. `hello`. */
  readonly method: string;
  /** `service/method`. */
  readonly path: string;
  /** `unary`, `server-stream`, `client-stream` or `bidi-stream`. */
  readonly kind: string;
}

/** How stream messages are recorded on spans. */
export type RecordMessages = 'count' | 'events' | false;

/** Options of {@link clientTracing} and {@link serverTracing}. All optional. */
export interface TracingOptions {
  /**
   * Where spans go. Default: the global provider (`trace.getTracerProvider()`),
   * looked up again whenever the global changes, so an SDK registered after
   * the client or server was created is used.
   */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go. Default: the global provider
   * (`metrics.getMeterProvider()`), looked up again whenever the global
   * changes. Instruments are created once per provider, not per call.
   */
  meterProvider?: MeterProvider;
  /**
   * Injects and extracts the context in call metadata. Default: the global
   * propagator (`propagation`): with the Node SDK, W3C `traceparent`,
   * `tracestate` and `baggage`; without one, the API's no-op propagator.
   */
  propagator?: TextMapPropagator;
  /**
   * Which methods to trace; return `false` to leave a method alone (no span,
   * no metrics, no propagation). Asked once per method and client or server,
   * then remembered. Default: every method except the built-in health check
   * (`xsmb.health.v1`), which load balancers call constantly.
   */
  filter?: (method: TracedMethod) => boolean;
  /** Record the call metrics (duration, in flight, stream messages). Default `true`. */
  metrics?: boolean;
  /**
   * Streams: `'count'` puts `rpc.xsmb.messages_sent` / `_received` on the
   * span; `'events'` also adds an `rpc.message` event per message (costly on
   * long streams); `false` records neither on spans (metrics still count).
   * Default `'count'`.
   */
  recordMessages?: RecordMessages;
}

/** Options of {@link clientTracing}. */
export interface ClientTracingOptions extends TracingOptions {}

/** Options of {@link serverTracing}. */
export interface ServerTracingOptions extends TracingOptions {}

/** The default {@link TracingOptions.filter}: everything but the health check. */
export function defaultFilter(method: TracedMethod): boolean {
  return method.service !== 'xsmb.health.v1';
}

/**
 * Options of {@link pubsubTracing}: where spans and metrics go and how the
 * context travels, as for calls. All optional.
 */
export interface PubSubTracingOptions
  extends Pick<TracingOptions, 'tracerProvider' | 'meterProvider' | 'propagator'> {
  /** Count messages sent and received per topic. Default `true`. */
  metrics?: boolean;
}
