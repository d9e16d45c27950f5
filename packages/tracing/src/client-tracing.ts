import { context, trace } from '@opentelemetry/api';
import {
  type ClientNext,
  type ClientRequest,
  type ClientResponse,
  Code,
  RpcError,
  type RpcListener,
} from '@xsmb/rpc';
import { CallRecord } from './call-record.js';
import { endpointAttributes } from './endpoint.js';
import { metadataSetter } from './metadata-carrier.js';
import type { ClientTracingOptions } from './options.js';
import { countOutgoing } from './outgoing-messages.js';
import { contextWithSpan } from './span-context.js';
import { type MethodTelemetry, Telemetry } from './telemetry.js';
import { TracedMessages } from './traced-messages.js';

/**
 * A client interceptor that traces calls, plus a listener that adds the
 * endpoint each call went to (`server.address`, `server.port`,
 * `network.transport`), which interceptors cannot see.
 */
export interface ClientTracing {
  (next: ClientNext): ClientNext;
  /**
   * Optional companion: pass it in the client's `listeners` to get the
   * endpoint attributes on client spans. Costs nothing for calls whose span
   * is not recording.
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
 * const tracing = clientTracing();
 * const greeter = createClient(Greeter, {
 *   endpoints: [endpoint],
 *   interceptors: [tracing],
 *   listeners: [tracing.listener], // optional: server.address / server.port
 * });
 */
export function clientTracing(options: ClientTracingOptions = {}): ClientTracing {
  const telemetry = new Telemetry('client', options);
  // Metadata object → its call, for the listener (identity: the core hands the same object to listeners).
  const pending = new WeakMap<object, CallRecord>();

  const interceptor = (next: ClientNext): ClientNext => {
    // One chain per method: remember its constants instead of looking them up per call.
    let method: MethodTelemetry | undefined;
    return (request) => {
      let m = method;
      if (m === undefined || m.path !== request.path) {
        m = telemetry.method(request);
        method = m;
      }
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
      pending.set(request.metadata, record);
      // Inner interceptors see the call's span as active (e.g. to log its trace id).
      return context.with(active, run, undefined, next, request, record);
    };
  };

  const listener: RpcListener = {
    onCallStart(event) {
      const record = pending.get(event.metadata);
      if (record && event.peer !== undefined && !record.ended)
        record.span?.setAttributes(endpointAttributes(event.peer));
    },
  };
  return Object.assign(interceptor, { listener });
}

function stoppedByConsumer(): RpcError {
  return new RpcError(Code.CANCELLED, 'the client stopped reading the stream');
}

function run(
  next: ClientNext,
  request: ClientRequest,
  record: CallRecord,
): Promise<ClientResponse> {
  if (request.messages) request.messages = countOutgoing(request.messages, record);
  let response: Promise<ClientResponse>;
  try {
    response = next(request);
  } catch (e) {
    record.end(e);
    throw e;
  }
  return response.then(
    (r) => {
      if (r.messages) {
        r.messages = new TracedMessages(r.messages, {
          record,
          direction: 'received',
          ends: true,
          context: undefined,
          stopped: stoppedByConsumer,
        });
        // A stream that is cancelled but never read would otherwise keep its span open.
        const signal = request.signal;
        if (signal) {
          const cancelled = () => record.end(RpcError.from(signal.reason, Code.CANCELLED));
          if (signal.aborted) cancelled();
          else signal.addEventListener('abort', cancelled, { once: true });
        }
      } else record.end();
      return r;
    },
    (e: unknown) => {
      record.end(e);
      throw e;
    },
  );
}
