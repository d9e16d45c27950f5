/**
 * The method adapter of the stream kinds: how the client engine calls and
 * the server engine serves a method of one of them. One adapter for all
 * three; the kind's {@link StreamShape} and the method's window decide what
 * the client and server halves compose.
 *
 * Wire (docs/PROTOCOL.md, "Streams"): REQUEST opens; the receiver of each
 * direction grants credit (CREDIT); DATA carries messages; END half-closes
 * (the server's END, with trailers, ends the call); ERROR fails it; CANCEL
 * from the client stops it.
 */

import { clientMethod } from './client-call.js';
import type { CreditWindow } from './credit-receiver.js';
import type { MethodAdapter } from './rpc-kit.js';
import { serveStream } from './server-half.js';
import type { StreamShape } from './stream-shape.js';

/** The adapter of a stream method of `shape` with flow-control `window`. */
export function streamAdapter(shape: StreamShape, window: CreditWindow): MethodAdapter {
  const method = { shape, window };
  return {
    client: (core, info) => clientMethod(core, info, method) as (...args: never[]) => unknown,
    serve: (core, call, handler, payload) => serveStream(core, call, handler, payload, method),
  };
}
