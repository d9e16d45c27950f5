/**
 * @packageDocumentation
 * ZeroMQ sockets behind narrow interfaces: bursting, bounded queues,
 * heartbeats, CURVE and ZAP allow-lists, size limits. The only xSMB package
 * that imports `zeromq`.
 */

export { TransportError, type TransportErrorCode } from './errors.js';
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
