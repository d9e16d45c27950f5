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
import { type Envelope, Kind } from '@xsmb/rpc/kit';
import { CallRecord } from './call-record.js';
import { endpointAttributes } from './endpoint.js';
import { metadataGetter } from './metadata-carrier.js';
import type { ServerTracingOptions } from './options.js';
import { contextWithSpan } from './span-context.js';
import { type MethodTelemetry, Telemetry } from './telemetry.js';
import { TracedMessages } from './traced-messages.js';

/**
 * What this package reads of `@xsmb/rpc`'s `ServerCall` (the class behind
 * `ctx`) beyond `CallContext`: whether the call was abandoned, the envelope
 * hook of stream kinds, and the endpoints the server listens on.
 */
interface ServerCallView extends CallContext {
  readonly cancelled?: boolean;
  onEnvelope?: ((envelope: Envelope, size: number) => void) | undefined;
  readonly core?: { readonly transport?: { readonly endpoints?: readonly string[] } };
}

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
    // One chain per method: remember its constants instead of looking them up per call.
    let method: MethodTelemetry | undefined;
    return (request) => {
      let m = method;
      if (m === undefined || m.path !== request.path) {
        m = telemetry.method(request);
        method = m;
      }
      if (!m.traced) return next(request);
      const ctx = request.ctx as ServerCallView;
      // The parent comes from the wire only, never from whatever context the server was created in.
      const parent = telemetry.propagator.extract(ROOT_CONTEXT, ctx.metadata, metadataGetter);
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
      if (recording) {
        const endpoints = ctx.core?.transport?.endpoints;
        // With one endpoint, it is the one the call came in on.
        if (endpoints?.length === 1) span.setAttributes(endpointAttributes(endpoints[0] as string));
      }
      if (m.streaming && m.kind !== 'server-stream') countIncoming(ctx, record);
      return serve(next, request, m, contextWithSpan(parent, span), record);
    };
  };
}

/** Why the core abandoned the call (client cancel, deadline, shutdown), if it did. */
function abandoned(ctx: ServerCallView): RpcError | undefined {
  if (ctx.cancelled !== true) return undefined;
  return RpcError.from(ctx.signal.reason, Code.CANCELLED);
}

function serve(
  next: ServerNext,
  request: ServerRequest,
  m: MethodTelemetry,
  active: Context,
  record: CallRecord | undefined,
): Promise<ServerResponse> {
  const ctx = request.ctx as ServerCallView;
  let response: Promise<ServerResponse>;
  try {
    response = context.with(active, next, undefined, request);
  } catch (e) {
    record?.end(e);
    throw e;
  }
  if (!record && !m.streaming) return response;
  return response.then(
    (r) => {
      if (r.messages) {
        // The handler's generator runs on each pull, outside `context.with` above: bind every pull.
        r.messages = new TracedMessages(r.messages, {
          record,
          direction: 'sent',
          ends: true,
          context: active,
          stopped: () =>
            abandoned(ctx) ?? new RpcError(Code.CANCELLED, 'the server stopped the stream'),
        });
      } else record?.end(abandoned(ctx));
      return r;
    },
    (e: unknown) => {
      record?.end(abandoned(ctx) ?? e);
      throw e;
    },
  );
}

/**
 * Counts the client's stream messages as they arrive. The request has no
 * message stream for interceptors (the handler gets the inbox directly), so
 * this wraps the call's envelope hook, which the stream kinds set before
 * interceptors run and before the client is granted any credit.
 */
function countIncoming(ctx: ServerCallView, record: CallRecord): void {
  const inner = ctx.onEnvelope;
  if (typeof inner !== 'function') return;
  ctx.onEnvelope = (envelope, size) => {
    if (envelope[1] === Kind.DATA) record.receivedOne();
    inner(envelope, size);
  };
}
