import { context, trace } from '@opentelemetry/api';
import {
  type ClientNext,
  type ClientRequest,
  type ClientResponse,
  Code,
  observeMessages,
  RpcError,
  type RpcListener,
} from '@xsmb/rpc';
import { CallRecord } from './call-record.js';
import { endpointAttributes } from './endpoint.js';
import { metadataSetter } from './metadata-carrier.js';
import type { ClientTracingOptions } from './options.js';
import { contextWithSpan } from './span-context.js';
import { Telemetry } from './telemetry.js';
import { traceResponse } from './traced-response.js';

/** A client interceptor that traces calls. */
export interface ClientTracing {
  (next: ClientNext): ClientNext;
  /**
   * A listener that does nothing: the interceptor now reads the endpoint a
   * call went to (`server.address`, `server.port`, `network.transport`)
   * from the request itself. Kept so that configurations passing it still work.
   * @deprecated not needed; drop it from `listeners`.
   */
  readonly listener: RpcListener;
}

/**
 * Traces outgoing calls: a CLIENT span per call named `service/method`, a
 * child of the active context; the context injected into the call's metadata
 * (W3C `traceparent`, `tracestate`, `baggage` with the usual propagators);
 * the call metrics. Streams end their span when the stream ends. With no
 * OpenTelemetry SDK registered it only runs the propagator (a no-op too).
 *
 * @example
 * const greeter = createClient(Greeter, {
 *   endpoints: [endpoint],
 *   interceptors: [clientTracing()],
 * });
 */
export function clientTracing(options: ClientTracingOptions = {}): ClientTracing {
  const telemetry = new Telemetry('client', options);

  const interceptor = (next: ClientNext): ClientNext => {
    const methodOf = telemetry.lookup();
    return (request) => {
      const m = methodOf(request);
      if (!m.traced) return next(request);
      const parent = context.active();
      const span = telemetry.tracer().startSpan(m.path, m.spanOptions, parent);
      const instruments = telemetry.instruments();
      if (!span.isRecording()) {
        // Still propagate: a remote or non-sampled parent must reach the next hop.
        telemetry.propagator.inject(
          contextWithSpan(parent, span),
          request.metadata,
          metadataSetter,
        );
        if (!instruments) return next(request);
        return run(next, request, new CallRecord('client', m, undefined, instruments, false));
      }
      const active = trace.setSpan(parent, span);
      telemetry.propagator.inject(active, request.metadata, metadataSetter);
      const record = new CallRecord('client', m, span, instruments, telemetry.recordMessages);
      // The endpoint is picked after the interceptors ran: read it when the call ends.
      record.onEnd = () => {
        const endpoint = request.wire.endpoint;
        if (endpoint !== undefined) span.setAttributes(endpointAttributes(endpoint));
      };
      // Inner interceptors see the call's span as active (e.g. to log its trace id).
      return context.with(active, run, undefined, next, request, record);
    };
  };

  return Object.assign(interceptor, { listener: {} satisfies RpcListener });
}

function stoppedByConsumer(): RpcError {
  return new RpcError(Code.CANCELLED, 'the client stopped reading the stream');
}

function run(
  next: ClientNext,
  request: ClientRequest,
  record: CallRecord,
): Promise<ClientResponse> {
  // Counted as they leave the caller's source, without changing how the stream sends them.
  if (request.messages)
    request.messages = observeMessages(request.messages, () => record.sentOne());
  let response: Promise<ClientResponse>;
  try {
    response = next(request);
  } catch (e) {
    record.end(e);
    throw e;
  }
  return traceResponse(
    response,
    { record, direction: 'received', context: undefined, stopped: stoppedByConsumer },
    (e) => record.end(e),
    request.signal,
  );
}
