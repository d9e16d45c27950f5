/**
 * @packageDocumentation
 * `@xsmb/rpc/kit`: the engine API for other libraries — method kinds such as
 * `@xsmb/stream` and observers such as `@xsmb/tracing`. Applications need
 * only the main entry, `@xsmb/rpc`. What is here follows the wire protocol
 * (docs/PROTOCOL.md) and may change with it; the main entry is the stable
 * surface.
 */

export { clientCore } from './client.js';
// Deadlines of many calls on one timer.
export { DeadlineQueue, type Expirable } from './deadline-queue.js';
// The engines, as method kinds drive them.
export type {
  CallHandler,
  ClientCall,
  ClientCore,
  RegisteredMethod,
  ServerCall,
  ServerCore,
} from './engine.js';
// The wire.
export {
  checkEnvelope,
  type Envelope,
  type EnvelopeProblem,
  encodeCancel,
  encodeCredit,
  encodeData,
  encodeEnd,
  encodeError,
  encodeGoaway,
  encodeRequest,
  encodeResponse,
  Kind,
  kindMismatchMessage,
  MAX_CALL_ID,
  PROTOCOL_REVISION,
  PROTOCOL_VERSION,
  peekHeader,
  requestKind,
} from './envelope.js';
export { isEmptyMetadata, type MetadataProblem, metadataProblem } from './metadata.js';
export { serverCore } from './server.js';
export type { MethodAdapter, MethodInfo } from './service.js';
export { check, errorFromEnvelope } from './unary.js';
