/**
 * @packageDocumentation
 * OpenTelemetry tracing and metrics for xSMB calls: client and server
 * interceptors that create spans following the RPC semantic conventions
 * (and `pubsubTracing` for `@xsmb/pubsub` messages, per the messaging ones),
 * propagate the context through call metadata (W3C Trace Context and Baggage
 * with the usual propagators), and record call metrics. Uses only
 * `@opentelemetry/api` (a peer dependency); without an SDK it costs next to
 * nothing.
 */

// For end users.
export { type ClientTracing, clientTracing } from './client-tracing.js';
// For dashboards, views and other instrumentations.
export { endpointAttributes } from './endpoint.js';
export { metadataGetter, metadataSetter } from './metadata-carrier.js';
export type {
  ClientTracingOptions,
  PubSubTracingOptions,
  RecordMessages,
  ServerTracingOptions,
  TracedMethod,
  TracingOptions,
} from './options.js';
export { defaultFilter } from './options.js';
export { type PubSubTracing, pubsubTracing } from './pubsub-tracing.js';
export {
  DURATION_BUCKETS,
  MESSAGING_SYSTEM_NAME,
  MessagingAttribute,
  MessagingMetric,
  RPC_MESSAGE_EVENT,
  RPC_SYSTEM_NAME,
  TracingAttribute,
  TracingMetric,
} from './semantic-conventions.js';
export { serverTracing } from './server-tracing.js';
