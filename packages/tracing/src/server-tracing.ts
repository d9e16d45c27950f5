import { type Context, context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type CallContext,
  Code,
  RpcError,
  type ServerInterceptor,
  type ServerNext,
  type ServerRequest,
  type ServerResponse,
} from '@xsmb/rpc';
import { CallRecord } from './call-record.js';
import { endpointAttributes } from './endpoint.js';
import { metadataGetter } from './metadata-carrier.js';
import type { ServerTracingOptions } from './options.js';
import { contextWithSpan } from './span-context.js';
import { type MethodTelemetry, Telemetry } from './telemetry.js';
import { traceResponse } from './traced-response.js';

/**
 * Traces incoming calls: a SERVER span per call named `service/method`,
 * child of the context extracted from the call's metadata; the handler runs
 * inside that span's context, so calls it makes through a traced client are
 * its children. Streams end their span when the stream ends. With no
 * OpenTelemetry SDK registered it only runs the propagator (a no-op too).
 *
 * @example
 * const server = createServer({ interceptors: [serverTracing()] });
 */
export function serverTracing(options: ServerTracingOptions = {}): ServerInterceptor {
  const telemetry = new Telemetry('server', options);
  return (next) => {
    const methodOf = telemetry.lookup();
    return (request) => {
      const m = methodOf(request);
      if (!m.traced) return next(request);
      // The parent comes from the wire only, never from whatever context the server was created in.
      const parent = telemetry.propagator.extract(
        ROOT_CONTEXT,
        request.ctx.metadata,
        metadataGetter,
      );
      const span = telemetry.tracer().startSpan(m.path, m.spanOptions, parent);
      const instruments = telemetry.instruments();
      const recording = span.isRecording();
      if (!recording && !instruments) {
        // Nothing to record. Nothing to carry either, unless the caller sent a context: then the
        // handler's own calls must pass it on (the API's no-op behaviour).
        if (parent === ROOT_CONTEXT) return next(request);
        return serve(next, request, m, contextWithSpan(parent, span), undefined);
      }
      const record = new CallRecord(
        'server',
        m,
        recording ? span : undefined,
        instruments,
        recording ? telemetry.recordMessages : false,
      );
      const endpoint = recording ? request.wire.endpoint : undefined;
      if (endpoint !== undefined) span.setAttributes(endpointAttributes(endpoint));
      // The client's stream messages reach the handler through its kind, not the chain: count them on the wire.
      if (m.streaming && m.kind !== 'server-stream') {
        request.wire.observe((direction) => {
          if (direction === 'in') record.receivedOne();
        });
      }
      return serve(next, request, m, contextWithSpan(parent, span), record);
    };
  };
}

/** Why the server stopped the call (client cancel, deadline, shutdown), if it did. */
function abandoned(ctx: CallContext): RpcError | undefined {
  const signal = ctx.signal;
  return signal.aborted ? RpcError.from(signal.reason, Code.CANCELLED) : undefined;
}

function serve(
  next: ServerNext,
  request: ServerRequest,
  m: MethodTelemetry,
  active: Context,
  record: CallRecord | undefined,
): Promise<ServerResponse> {
  const ctx = request.ctx;
  let response: Promise<ServerResponse>;
  try {
    response = context.with(active, next, undefined, request);
  } catch (e) {
    record?.end(e);
    throw e;
  }
  if (!record && !m.streaming) return response;
  // The handler's generator runs on each pull, outside `context.with` above: bind every pull.
  const stopped = () =>
    abandoned(ctx) ?? new RpcError(Code.CANCELLED, 'the server stopped the stream');
  return traceResponse(response, { record, direction: 'sent', context: active, stopped }, (e) =>
    record?.end(abandoned(ctx) ?? e),
  );
}
