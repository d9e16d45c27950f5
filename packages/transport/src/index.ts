/**
 * @packageDocumentation
 * ZeroMQ sockets behind narrow interfaces: bursting, bounded queues,
 * heartbeats, CURVE and ZAP allow-lists, size limits. The only xSMB package
 * that imports `zeromq`.
 *
 * For end users and the layers above: the interfaces (`types.ts`), the
 * factories `createClientTransport`, `createServerTransport`,
 * `createPublisherTransport`, `createSubscriberTransport`, `createBroker`,
 * `TransportError`, key helpers, and the in-memory transport for unit tests.
 * For implementers of other peers and tests: the wire framing functions
 * (docs/PROTOCOL.md, "Transport framing").
 */

/** The logger interface of the `logger` option (pino-compatible). */
export type { LogFields, Logger } from '@xsmb/base';
/** Z85 (ZeroMQ RFC 32), the text form of CURVE keys. */
export { z85Decode, z85Encode } from '@xsmb/zmtp';
/** Pub/sub broker (XSUB for publishers, XPUB for subscribers). */
export {
  type Broker,
  type BrokerEvents,
  type BrokerOptions,
  type BrokerSide,
  type BrokerStats,
  createBroker,
} from './broker.js';
/** Request/response client (DEALER). */
export { type ClientTransportOptions, createClientTransport } from './client-transport.js';
/** CURVE keys. */
export {
  type ClientCurveOptions,
  type CurveKeyPair,
  generateKeyPair,
  type ServerCurveOptions,
} from './curve.js';
/** Discovery: DNS and static resolvers, and the merged endpoint set clients and subscribers follow. */
export {
  createResolver,
  DnsResolver,
  type DnsResolverOptions,
} from './dns-resolver.js';
export {
  type DiscoveryEvent,
  type EndpointChange,
  EndpointsResolver,
  type EndpointsResolverOptions,
  type EndpointsSink,
} from './endpoints-resolver.js';
export { TransportError, type TransportErrorCode } from './errors.js';
export { formatPeerId } from './event-log.js';
export type { SlowSubscriberPolicy } from './fanout.js';
/** Wire framing v1, for implementers and tests (docs/PROTOCOL.md). */
export {
  type DecodeResult,
  decodeFrames,
  encodeBurst,
  encodeLarge,
  TAG_BURST,
  TAG_LARGE,
} from './framing.js';
// In-memory implementation of the same interfaces, for unit tests of the layers above.
export * from './memory.js';
export type { BurstOptions, TransportOptions } from './options.js';
/** Pub/sub publisher (XPUB). */
export {
  createPublisherTransport,
  type PublisherTransportOptions,
  type PublisherTransportStats,
  type ZmqPublisherTransport,
} from './publisher-transport.js';
export type { ResolvedEndpoint, Resolver, ResolverUpdate } from './resolver.js';
export { parseTarget, type Target } from './resolver-target.js';
/** Request/response server (ROUTER). */
export {
  createServerTransport,
  type ServerTransportOptions,
  type ServerTransportStats,
  type ZmqServerTransport,
} from './server-transport.js';
export { type StaticEndpoints, StaticResolver } from './static-resolver.js';
/** Pub/sub subscriber (SUB). */
export {
  createSubscriberTransport,
  type SubscriberTransportOptions,
} from './subscriber-transport.js';
/**
 * The already-resolved promise every xSMB transport returns from `send` and
 * `publish` when the message was queued at once (nothing waited). Compare
 * against it to skip wrapping the promise per message.
 */
export { RESOLVED as QUEUED } from './transport-core.js';
/** The narrow interfaces the layers above program against. */
export type {
  ClientTransport,
  ClientTransportFactory,
  Delivery,
  DisconnectReason,
  Inbound,
  PeerId,
  PublisherTransport,
  ServerTransport,
  SubscriberTransport,
  TransportBase,
  TransportEvents,
  TransportListener,
  TransportStats,
} from './types.js';
