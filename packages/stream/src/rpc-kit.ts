/**
 * Everything this package takes from `@xsmb/rpc`, in one place: the engines
 * a method kind plugs into, the envelope encoders and the shared types.
 * When those move (e.g. to a `@xsmb/rpc/kit` subpath) only this file changes.
 */

export {
  type CallContext,
  type CallHandler,
  type CallOptions,
  type ClientCall,
  type ClientCore,
  type ClientRequest,
  type ClientResponse,
  Code,
  check,
  type Envelope,
  encodeCredit,
  encodeData,
  encodeEnd,
  encodeRequest,
  errorFromEnvelope,
  Kind,
  type Metadata,
  type MethodAdapter,
  type MethodDescriptor,
  type MethodInfo,
  RpcError,
  type Schema,
  type ServerCall,
  type ServerCore,
} from '@xsmb/rpc';

import type { ClientCore } from '@xsmb/rpc';

/** The envelope codec the engines use (`@xsmb/codec`'s `Codec`). */
export type Codec = ClientCore['codec'];
