import { type Context, INVALID_TRACEID, type Span, trace } from '@opentelemetry/api';

/**
 * The context that carries `span` under `parent`, without building a new
 * context when it would carry nothing new: the API's no-op tracer returns a
 * span wrapping the parent's own span context (or an invalid one when there
 * is no parent), and `trace.setSpan` copies the whole context. A non-sampled
 * SDK span has an id of its own, so it still gets a context (the next hop
 * must see the "not sampled" decision on that id).
 */
export function contextWithSpan(parent: Context, span: Span): Context {
  const own = span.spanContext();
  const inherited = trace.getSpanContext(parent);
  if (own === inherited) return parent;
  if (inherited === undefined && own.traceId === INVALID_TRACEID) return parent;
  return trace.setSpan(parent, span);
}
