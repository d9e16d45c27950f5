/**
 * Everything this package takes from `@xsmb/rpc`, in one place: the engines
 * a method kind plugs into and the envelope encoders (`@xsmb/rpc/kit`), and
 * the shared user-facing types (`@xsmb/rpc`).
 */

export {
  type CallContext,
  type CallOptions,
  type ClientRequest,
  type ClientResponse,
  Code,
  type Metadata,
  type MethodDescriptor,
  RpcError,
  type Schema,
} from '@xsmb/rpc';
export {
  type CallHandler,
  type ClientCall,
  type ClientCore,
  check,
  type Envelope,
  encodeCredit,
  encodeData,
  encodeEnd,
  encodeRequest,
  errorFromEnvelope,
  Kind,
  type MethodAdapter,
  type MethodInfo,
  type ServerCall,
  type ServerCore,
} from '@xsmb/rpc/kit';

import type { ClientCore } from '@xsmb/rpc/kit';

/** The envelope codec the engines use (`@xsmb/codec`'s `Codec`). */
export type Codec = ClientCore['codec'];
