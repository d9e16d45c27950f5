/**
 * The one thing the three stream kinds differ in: which side sends a stream
 * of messages. Everything else — credit, validation, authorization,
 * interceptors, cancellation — is shared by the client and server halves.
 */

import type { CreditWindow } from './credit-receiver.js';

/** Which directions of a stream kind carry a message stream. */
export interface StreamShape {
  /** The kind's name, e.g. `'server-stream'` (the descriptor's `kind`). */
  readonly kind: StreamKind;
  /** The server sends a message stream ended by END; otherwise it answers with one RESPONSE. */
  readonly serverStreams: boolean;
  /** The client sends a message stream (after an opening message) ended by its END. */
  readonly clientStreams: boolean;
}

/** The stream kinds. */
export type StreamKind = 'server-stream' | 'client-stream' | 'bidi-stream';

/** The stream kinds by name. */
export const STREAM_SHAPES: Readonly<Record<StreamKind, StreamShape>> = {
  'server-stream': { kind: 'server-stream', serverStreams: true, clientStreams: false },
  'client-stream': { kind: 'client-stream', serverStreams: false, clientStreams: true },
  'bidi-stream': { kind: 'bidi-stream', serverStreams: true, clientStreams: true },
};

/** A method of a stream kind as the halves see it: its shape and its flow-control window. */
export interface StreamMethod {
  readonly shape: StreamShape;
  readonly window: CreditWindow;
}
