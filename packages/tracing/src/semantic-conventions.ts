/**
 * Names of the attributes and metrics this package produces.
 *
 * They follow the OpenTelemetry RPC semantic conventions as revised in
 * semconv 1.38–1.40 (release candidate): `rpc.system.name`, a fully
 * qualified `rpc.method` (`service/method`), `rpc.response.status_code` as the
 * code's name, `error.type`, and `rpc.{client,server}.call.duration` in
 * seconds. The older names (`rpc.system`, `rpc.service`,
 * `rpc.grpc.status_code`, `rpc.client.duration` in ms) are deprecated there
 * and not emitted. Names under `rpc.xsmb.` are xSMB's own, as the
 * conventions allow for system-specific attributes.
 */

/** Span and metric attribute names. */
export const TracingAttribute = {
  /** `'xsmb'` on every span and metric point. */
  RPC_SYSTEM_NAME: 'rpc.system.name',
  /** Fully qualified method, `service/method` (e.g. `demo.Greeter/hello`). */
  RPC_METHOD: 'rpc.method',
  /** The status code's name: `OK`, `NOT_FOUND`, `DEADLINE_EXCEEDED`, … */
  RPC_RESPONSE_STATUS_CODE: 'rpc.response.status_code',
  /** The code's name when the call failed (see the README for which codes count on the server). */
  ERROR_TYPE: 'error.type',
  /** Client spans: host (or socket path) of the endpoint the call went to. */
  SERVER_ADDRESS: 'server.address',
  /** Client spans: TCP port of the endpoint the call went to. */
  SERVER_PORT: 'server.port',
  /** `tcp`, `unix` (ipc://), `inproc` or `memory`. */
  NETWORK_TRANSPORT: 'network.transport',
  /** `ipv4` or `ipv6` when the endpoint's host is an IP literal. */
  NETWORK_TYPE: 'network.type',
  /** The numeric status code (gRPC numbering), like the deprecated `rpc.grpc.status_code`. */
  XSMB_STATUS_CODE: 'rpc.xsmb.status_code',
  /** The method kind: `unary`, `server-stream`, `client-stream`, `bidi-stream`. */
  XSMB_KIND: 'rpc.xsmb.kind',
  /** Streams: messages this side sent (after the opening request). */
  XSMB_MESSAGES_SENT: 'rpc.xsmb.messages_sent',
  /** Streams: messages this side received (after the opening request). */
  XSMB_MESSAGES_RECEIVED: 'rpc.xsmb.messages_received',
  /** On `rpc.message` events: `SENT` or `RECEIVED`. */
  RPC_MESSAGE_TYPE: 'rpc.message.type',
  /** On `rpc.message` events: 1, 2, … counted separately per direction. */
  RPC_MESSAGE_ID: 'rpc.message.id',
} as const;

/** Metric instrument names. */
export const TracingMetric = {
  /** Histogram, seconds: duration of outgoing calls (the client span's duration). */
  CLIENT_CALL_DURATION: 'rpc.client.call.duration',
  /** Histogram, seconds: duration of incoming calls (the server span's duration). */
  SERVER_CALL_DURATION: 'rpc.server.call.duration',
  /** UpDownCounter: client calls in flight. */
  CLIENT_ACTIVE_CALLS: 'rpc.xsmb.client.active_calls',
  /** UpDownCounter: server calls in flight (handlers running or streaming). */
  SERVER_ACTIVE_CALLS: 'rpc.xsmb.server.active_calls',
  /** Counter: stream messages sent by clients. */
  CLIENT_MESSAGES_SENT: 'rpc.xsmb.client.messages_sent',
  /** Counter: stream messages received by clients. */
  CLIENT_MESSAGES_RECEIVED: 'rpc.xsmb.client.messages_received',
  /** Counter: stream messages sent by servers. */
  SERVER_MESSAGES_SENT: 'rpc.xsmb.server.messages_sent',
  /** Counter: stream messages received by servers. */
  SERVER_MESSAGES_RECEIVED: 'rpc.xsmb.server.messages_received',
} as const;

/** The value of `rpc.system.name`. */
export const RPC_SYSTEM_NAME = 'xsmb';

/** The span event per stream message (opt-in, `recordMessages: 'events'`). */
export const RPC_MESSAGE_EVENT = 'rpc.message';

/**
 * Bucket boundaries (seconds) of the duration histograms. The conventions
 * advise 5 ms to 10 s; xSMB calls inside one data centre mostly take
 * 50 µs–5 ms, so finer buckets come first. Override with an SDK View.
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1,
  2.5, 5, 7.5, 10,
];

/**
 * Pub/sub span and metric attribute names (see {@link pubsubTracing}). They
 * follow the OpenTelemetry messaging semantic conventions of semconv
 * 1.26 and later (`messaging.operation.type`, `messaging.operation.name`,
 * span names `<operation> <destination>`); names under `messaging.xsmb.`
 * are xSMB's own.
 */
export const MessagingAttribute = {
  /** `'xsmb'` on every pub/sub span and metric point. */
  MESSAGING_SYSTEM: 'messaging.system',
  /** The topic's name. */
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  /** `send` (producer) or `receive` (consumer). */
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  /** `send` or `receive`, as the operation type (xSMB has no other names). */
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  /** Spans: the message's key, when it has one (kept off metrics: keys can be many). */
  XSMB_MESSAGE_KEY: 'messaging.xsmb.message.key',
  /** Consumer spans: the message's sequence number within (publisher, topic, key). */
  XSMB_MESSAGE_SEQ: 'messaging.xsmb.message.seq',
  /** Consumer spans: the publisher's id (16 hex digits). */
  XSMB_PUBLISHER_ID: 'messaging.xsmb.publisher.id',
  /** Failed sends: the `PubSubError` code (`QUEUE_FULL`, `CLOSED`, …). */
  ERROR_TYPE: 'error.type',
} as const;

/** Pub/sub metric instrument names (the messaging conventions' client metrics). */
export const MessagingMetric = {
  /** Counter: messages `publish` handled, per topic (failed ones with `error.type`). */
  SENT_MESSAGES: 'messaging.client.sent.messages',
  /** Counter: messages handed to subscriptions, per topic (once per matching subscription). */
  CONSUMED_MESSAGES: 'messaging.client.consumed.messages',
} as const;

/** The value of `messaging.system`. */
export const MESSAGING_SYSTEM_NAME = 'xsmb';
