/** The options the client and the server engines share. */

import type { Codec } from '@xsmb/codec';
import type { RpcListener } from './call.js';

/**
 * Options of both engines (`ClientCoreOptions`, `ServerCoreOptions`);
 * `Interceptor` is the side's interceptor type.
 */
export interface EngineOptions<Interceptor> {
  /** Envelope codec. */
  codec: Codec;
  /** Interceptors of this side (client or server), outermost first. Default none. */
  interceptors?: readonly Interceptor[];
  /** Observe-only listeners. Default none. */
  listeners?: readonly RpcListener[];
}
