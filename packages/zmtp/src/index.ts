/** @packageDocumentation ZeroMQ sockets (ZMTP 3.1, NULL and CURVE) in TypeScript over node:net: no native code. */
export {
  type Command,
  decodeCommand,
  decodeProperties,
  encodeCommand,
  encodeProperties,
} from './command.js';
export type { DisconnectReason } from './connection.js';
export {
  type CurveKey,
  type CurveKeyPair,
  curveKeyPair,
  curvePublicKey,
  z85Decode,
  z85Encode,
} from './curve-keys.js';
export {
  type CurveClientOptions,
  type CurveServerOptions,
  curveClient,
  curveServer,
} from './curve-mechanism.js';
export {
  createDealer,
  type DealerEvents,
  type DealerOptions,
  DealerSocket,
  type MessageHandler,
} from './dealer.js';
export { ZmtpEmitter } from './emitter.js';
export { type Endpoint, formatEndpoint, parseEndpoint } from './endpoint.js';
export { type SocketErrorCode, ZmtpError, type ZmtpErrorCode } from './errors.js';
export { FrameDecoder, type FrameSink } from './frame-decoder.js';
// The mechanism interface, for writing a security mechanism of one's own.
export type * from './mechanism.js';
export { nullMechanism } from './null-mechanism.js';
export type { SocketOptions } from './options.js';
export {
  createRouter,
  type RouterEvents,
  type RouterMessageHandler,
  type RouterOptions,
  RouterSocket,
} from './router.js';
export type { BaseEvents, PeerInfo, SocketStats } from './socket-base.js';
export type { SocketType } from './socket-type.js';
export { createSub, type SubEvents, type SubOptions, SubSocket } from './sub.js';
export { createXPub, type XPubEvents, type XPubOptions, XPubSocket } from './xpub.js';
