/**
 * @packageDocumentation
 * Typed unary RPC over xSMB: contracts, clients, servers, metadata,
 * deadlines, cancellation, typed errors, interceptors, listeners and
 * concurrency limits.
 */

// For end users.
export {
  HealthService,
  type MethodReflection,
  ReflectionService,
  type ServiceReflection,
} from './builtin.js';
export type {
  Authorize,
  CallContext,
  CallEndEvent,
  CallOptions,
  CallStartEvent,
  ClientInterceptor,
  ClientNext,
  ClientRequest,
  ClientResponse,
  MessageEvent,
  RpcListener,
  ServerInterceptor,
  ServerNext,
  ServerRequest,
  ServerResponse,
} from './call.js';
// For other libraries (@xsmb/stream, @xsmb/tracing): the engines and the wire.
export { type ClientOptions, clientCore, clientStats, createClient } from './client.js';
export type { ClientStats, LoadBalancing, RetryPolicy } from './client-core.js';
export { type CallHandler, ClientCall, ClientCore, type ClientCoreOptions } from './client-core.js';
export { Code, codeName } from './code.js';
export { DeadlineQueue, type Expirable } from './deadline-queue.js';
export {
  checkEnvelope,
  type Envelope,
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
export { isEmptyMetadata, type Metadata, MetadataKey, type XSMBMetaData } from './metadata.js';
export { RpcError, type RpcErrorOptions } from './rpc-error.js';
export { type CloseOptions, createServer, type Server, type ServerOptions } from './server.js';
export type { HealthStatus, ServerStats } from './server-core.js';
export {
  type RegisteredMethod,
  ServerCall,
  ServerCore,
  type ServerCoreOptions,
} from './server-core.js';
export type { MethodAdapter, MethodInfo } from './service.js';
export {
  type AnyMethod,
  type ClientMethod,
  defineService,
  type HandlerOf,
  type MethodDescriptor,
  type MethodMap,
  type Schema,
  type ServiceClient,
  type ServiceDescriptor,
  type ServiceImplementation,
} from './service.js';
export {
  check,
  errorFromEnvelope,
  type UnaryClientMethod,
  type UnaryDescriptor,
  type UnaryHandler,
  type UnaryOptions,
  type UnarySchemaOptions,
  unary,
} from './unary.js';
