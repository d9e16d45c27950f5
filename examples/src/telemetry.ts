/**
 * OpenTelemetry set-up for one demo process: W3C Trace Context and Baggage
 * propagation, async-context tracking, and a compact console exporter (one
 * line per finished span) so the narrative stays readable.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'];

/** Prints each finished span as one line: `[trace] <process> <kind> <name> trace=… span=… parent=… <status>`. */
class CompactConsoleExporter implements SpanExporter {
  constructor(
    private readonly processName: string,
    private readonly print: (line: string) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const s of spans) {
      const ctx = s.spanContext();
      const parent = s.parentSpanContext?.spanId ?? '-';
      const status = s.status.code === 2 ? `ERROR ${s.status.message ?? ''}`.trim() : 'ok';
      const ms = (s.duration[0] * 1e3 + s.duration[1] / 1e6).toFixed(2);
      this.print(
        `[trace] ${this.processName.padEnd(7)} ${KIND[s.kind]?.padEnd(6)} ${s.name.padEnd(24)} trace=${ctx.traceId.slice(0, 12)} span=${ctx.spanId.slice(0, 8)} parent=${parent.slice(0, 8)} ${ms} ms ${status}`,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Registers tracing globally for this process; returns a function that flushes and shuts it down. */
export function setupTracing(
  processName: string,
  print: (line: string) => void,
): () => Promise<void> {
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new CompactConsoleExporter(processName, print))],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  return () => provider.shutdown();
}
