/**
 * Test set-up shared by the tracing tests: registers an OpenTelemetry SDK
 * (in-memory span exporter, simple processor, AsyncLocalStorage context,
 * W3C trace context + baggage propagators, a pull metric reader) as the
 * global one, and takes every global back down afterwards.
 */
import { context, metrics, propagation, type SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A metric reader that collects only when asked (no timer). */
export class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The registered SDK of one test. */
export interface Otel {
  readonly exporter: InMemorySpanExporter;
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly reader: PullReader;
  /** Finished spans so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The finished span named `name` of `kind`; throws unless there is exactly one. */
  span(name: string, kind: SpanKind): ReadableSpan;
  /** Collects metrics now. */
  collect(): Promise<ResourceMetrics>;
}

/** Options of {@link registerOtel}. */
export interface RegisterOptions {
  sampler?: Sampler;
  /** Register the tracer provider globally. Default `true`. */
  traces?: boolean;
  /** Register the meter provider globally. Default `true`. */
  metrics?: boolean;
  /** Register the W3C propagators globally. Default `true`. */
  propagators?: boolean;
  /** Register the AsyncLocalStorage context manager globally. Default `true`. */
  contextManager?: boolean;
}

const cleanups: Array<() => Promise<void>> = [];

/** Registers an SDK as the global OpenTelemetry implementation. */
export function registerOtel(options: RegisterOptions = {}): Otel {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(options.sampler ? { sampler: options.sampler } : {}),
  });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  if (options.contextManager ?? true) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  if (options.propagators ?? true) {
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
  }
  if (options.traces ?? true) trace.setGlobalTracerProvider(tracerProvider);
  if (options.metrics ?? true) metrics.setGlobalMeterProvider(meterProvider);
  cleanups.push(async () => {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });
  return {
    exporter,
    tracerProvider,
    meterProvider,
    reader,
    spans: () => exporter.getFinishedSpans(),
    span(name, kind) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
      if (found.length !== 1) {
        throw new Error(`expected one ${name} span of kind ${kind}, found ${found.length}`);
      }
      return found[0] as ReadableSpan;
    },
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
  };
}

/** Takes every OpenTelemetry global back down (call in `afterEach`). */
export async function resetOtel(): Promise<void> {
  trace.disable();
  context.disable();
  propagation.disable();
  metrics.disable();
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

/** The data points of metric `name` (all scopes), or `[]`. */
export function points(resource: ResourceMetrics, name: string): DataPoint<unknown>[] {
  const out: DataPoint<unknown>[] = [];
  for (const scope of resource.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) out.push(...(metric.dataPoints as DataPoint<unknown>[]));
    }
  }
  return out;
}

/** The histogram value of a data point. */
export function histogram(point: DataPoint<unknown>): Histogram {
  return point.value as Histogram;
}

/** The parent span id of a finished span (`undefined` for a root). */
export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}
