/**
 * @packageDocumentation
 * Typed unary RPC over xSMB: contracts, clients, servers, metadata,
 * deadlines, cancellation, typed errors, interceptors, listeners and
 * concurrency limits.
 *
 * This entry is what applications use. Method kinds (`@xsmb/stream`) and
 * observers (`@xsmb/tracing`) find the engine API in `@xsmb/rpc/kit`.
 */

/** The `logger` option's interface (pino-compatible); see the README's "Logging". */
export type { LogFields, Logger } from '@xsmb/base';
/** Transport errors surface unchanged from `listen` and `createClient` (e.g. `ADDRESS_IN_USE`, `INVALID_ENDPOINT`). */
export { TransportError, type TransportErrorCode } from '@xsmb/transport';
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
  CallWire,
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
  WireObserver,
} from './call.js';
export { type ClientOptions, clientStats, createClient } from './client.js';
export type { ClientStats } from './client-options.js';
export { Code, codeName } from './code.js';
export type { LoadBalancing } from './connections.js';
export {
  type ContextKey,
  type ContextValues,
  createContextKey,
  createContextValues,
} from './context-values.js';
export type { RetryPolicy } from './engine.js';
export {
  type Metadata,
  MetadataKey,
  MetadataLimits,
  type XSMBMetaData,
} from './metadata.js';
export { observeMessages } from './observed-messages.js';
export { RpcError, type RpcErrorOptions } from './rpc-error.js';
export { type CloseOptions, createServer, type Server, type ServerOptions } from './server.js';
export type { HealthStatus, ServerStats } from './server-core.js';
export {
  type AnyMethod,
  type CheckReserved,
  type ClientMethod,
  defineService,
  type HandlerOf,
  type MethodDescriptor,
  type MethodMap,
  RESERVED_METHOD_NAMES,
  type ReservedMethodName,
  type Schema,
  type ServiceClient,
  type ServiceDescriptor,
  type ServiceImplementation,
} from './service.js';
export {
  type UnaryClientMethod,
  type UnaryDescriptor,
  type UnaryHandler,
  type UnaryOptions,
  type UnarySchemaOptions,
  unary,
} from './unary.js';
