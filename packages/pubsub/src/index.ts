/**
 * @packageDocumentation
 * Typed pub/sub on ZeroMQ's native PUB/SUB: topics and keys, readiness,
 * per-topic bursting, sequence numbers and gap detection, a broker.
 */

// For end users.
export type { LogFields, Logger, Metadata } from '@xsmb/base';
// broker.ts is itself the list of the broker's names (re-exported from @xsmb/transport).
export * from './broker.js';
// For implementers, tools and tests: the wire (docs/PROTOCOL.md, "Pub/sub messages").
export {
  checkEnvelope,
  type DecodedEnvelope,
  decodeEnvelope,
  ENVELOPE_FIELDS,
  ENVELOPE_VERSION,
  type Envelope,
  encodeEnvelope,
  type InvalidReason,
  MAX_SEQ,
  PUBLISHER_ID_BYTES,
} from './envelope.js';
export type {
  ConnectionEvents,
  ConnectionListener,
  DisconnectReason,
  TransportEvents,
} from './events.js';
export type {
  PublishInterceptor,
  PublishNext,
  PublishRequest,
} from './publish-interceptor.js';
export {
  createPublisher,
  type Publisher,
  type PublisherOptions,
  type PublisherStats,
  type PublishOptions,
  type SubscriptionInfo,
  type WaitForSubscribersOptions,
} from './publisher.js';
export { PubSubError, type PubSubErrorCode } from './pubsub-error.js';
export type {
  GapEvent,
  InvalidEvent,
  PublishEvent,
  PubSubListener,
  ReceiveEvent,
} from './pubsub-listener.js';
export {
  type ClientCurveOptions,
  type CurveKeyPair,
  generateKeyPair,
  type ServerCurveOptions,
} from './security.js';
export {
  createSubscriber,
  type ReadyOptions,
  type SubscribeCallbackOptions,
  type SubscribeOptions,
  type Subscriber,
  type SubscriberOptions,
  type SubscriberStats,
} from './subscriber.js';
export type {
  MessageErrorHandler,
  MessageHandler,
  OverflowPolicy,
  Subscription,
  SubscriptionStats,
  TopicMessage,
} from './subscription.js';
export {
  defineTopic,
  MAX_TOPIC_BYTES,
  type Topic,
  type TopicInput,
  type TopicOptions,
  type TopicOutput,
} from './topic.js';
export {
  encodeTopicFrame,
  MAX_KEY_BYTES,
  type ParsedTopicFrame,
  parseTopicFrame,
} from './topic-frame.js';
