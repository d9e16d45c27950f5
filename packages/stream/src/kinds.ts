/**
 * The streaming method kinds: `serverStream`, `clientStream`, `bidiStream`.
 * Each returns a method descriptor for `defineService` whose adapter plugs
 * into `@xsmb/rpc`'s engines.
 */

import type { CallContext, CallOptions, Metadata, MethodDescriptor, Schema } from './rpc-kit.js';
import { streamAdapter } from './stream-adapter.js';
import { STREAM_SHAPES, type StreamKind } from './stream-shape.js';

/** Flow-control windows of a stream (each receiver grants this much credit at a time). */
export interface WindowOptions {
  /** Messages a receiver accepts before it grants more credit. Default `2048`. */
  windowMessages?: number;
  /** Encoded bytes a receiver accepts before it grants more credit. Default `1048576` (1 MiB). */
  windowBytes?: number;
}

/** Default window in messages. */
export const DEFAULT_WINDOW_MESSAGES = 2048;
/** Default window in bytes. */
export const DEFAULT_WINDOW_BYTES = 1024 * 1024;

/** A server stream as the client sees it: iterate it; `break` cancels the server side. */
export interface ServerStreamCall<Res> extends AsyncIterable<Res> {
  /** Trailers sent with the server's END; rejects when the stream fails. */
  readonly trailers: Promise<Metadata>;
  /** Cancels the stream: iteration throws `CANCELLED`, the server's generator is stopped. */
  cancel(): void;
}

/** A client stream as the client sees it. */
export interface ClientStreamCall<Chunk, Res> {
  /**
   * Sends one message. Resolves once it is on its way (credit was available);
   * waits while the server has granted no credit — await it before sending
   * more. Rejects when the stream failed (e.g. `PERMISSION_DENIED` from the
   * server's authorization) or after `close()`.
   */
  send(chunk: Chunk): Promise<void>;
  /** Ends the stream and resolves with the server's single response. */
  close(): Promise<Res>;
  /** The server's response (what `close()` resolves with). */
  readonly result: Promise<Res>;
  /** Trailers sent with the response; rejects when the stream fails. */
  readonly trailers: Promise<Metadata>;
  /** Cancels the stream: pending and later sends and the result reject with `CANCELLED`. */
  cancel(): void;
}

/** A bidirectional stream as the client sees it: send and iterate at once. */
export interface BidiStreamCall<In, Out> extends AsyncIterable<Out> {
  /** Sends one message (same contract as {@link ClientStreamCall.send}). */
  send(message: In): Promise<void>;
  /** Half-closes: no more messages from the client; the server may go on sending. */
  close(): void;
  /** Trailers sent with the server's END; rejects when the stream fails. */
  readonly trailers: Promise<Metadata>;
  /** Cancels the stream in both directions. */
  cancel(): void;
}

/** Handler of a server stream: an async generator, or any function returning an AsyncIterable. */
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;

/** Handler of a client stream: consume `chunks`, return the single response. */
export type ClientStreamHandler<Open, Chunk, Res> = (
  open: Open,
  chunks: AsyncIterable<Chunk>,
  ctx: CallContext,
) => Res | Promise<Res>;

/** Handler of a bidi stream: consume `incoming`, yield replies. */
export type BidiStreamHandler<Open, In, Out> = (
  open: Open,
  incoming: AsyncIterable<In>,
  ctx: CallContext,
) => AsyncIterable<Out>;

/**
 * A handler with its own authorization step, run on the opening message
 * before any client message is accepted. Throw an `RpcError`
 * (`PERMISSION_DENIED`, `UNAUTHENTICATED`) to refuse the stream.
 */
export interface WithAuthorize<Open, H> {
  authorize(open: Open, ctx: CallContext): void | Promise<void>;
  handler: H;
}

/** Client function of a server stream. */
export type ServerStreamClient<Req, Res> = (
  request: Req,
  options?: CallOptions,
) => ServerStreamCall<Res>;
/** Client function of a client stream. */
export type ClientStreamClient<Open, Chunk, Res> = (
  open: Open,
  options?: CallOptions,
) => ClientStreamCall<Chunk, Res>;
/** Client function of a bidi stream. */
export type BidiStreamClient<Open, In, Out> = (
  open: Open,
  options?: CallOptions,
) => BidiStreamCall<In, Out>;

/** Descriptor of a server stream. */
export type ServerStreamDescriptor<
  ReqIn,
  ResOut,
  ReqOut = ReqIn,
  ResIn = ResOut,
> = MethodDescriptor<ServerStreamClient<ReqIn, ResOut>, ServerStreamHandler<ReqOut, ResIn>> &
  Required<WindowOptions>;

/** Descriptor of a client stream. */
export type ClientStreamDescriptor<
  OpenIn,
  ChunkIn,
  ResOut,
  OpenOut = OpenIn,
  ChunkOut = ChunkIn,
  ResIn = ResOut,
> = MethodDescriptor<
  ClientStreamClient<OpenIn, ChunkIn, ResOut>,
  | ClientStreamHandler<OpenOut, ChunkOut, ResIn>
  | WithAuthorize<OpenOut, ClientStreamHandler<OpenOut, ChunkOut, ResIn>>
> &
  Required<WindowOptions>;

/** Descriptor of a bidi stream. */
export type BidiStreamDescriptor<
  OpenIn,
  InIn,
  OutOut,
  OpenOut = OpenIn,
  InOut = InIn,
  OutIn = OutOut,
> = MethodDescriptor<
  BidiStreamClient<OpenIn, InIn, OutOut>,
  | BidiStreamHandler<OpenOut, InOut, OutIn>
  | WithAuthorize<OpenOut, BidiStreamHandler<OpenOut, InOut, OutIn>>
> &
  Required<WindowOptions>;

type In<S> = S extends Schema<infer I, unknown> ? I : never;
type Out<S> = S extends Schema<unknown, infer O> ? O : never;

/** What every stream descriptor carries: the RPC descriptor and its windows. */
type StreamDescriptor = MethodDescriptor & Required<WindowOptions>;

function descriptor(
  kind: StreamKind,
  options: WindowOptions & { input?: Schema; output?: Schema; chunk?: Schema },
): StreamDescriptor {
  const windowMessages = options.windowMessages ?? DEFAULT_WINDOW_MESSAGES;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  if (!(windowMessages >= 1) || !(windowBytes >= 1))
    throw new RangeError('stream windows must be at least 1');
  return Object.freeze({
    kind,
    input: options.input,
    output: options.output,
    chunk: options.chunk,
    idempotent: false,
    // The adapter holds the windows itself: the engines hand adapters the
    // plain MethodDescriptor type, which has none.
    adapter: streamAdapter(STREAM_SHAPES[kind], { windowMessages, windowBytes }),
    windowMessages,
    windowBytes,
  });
}

/**
 * A server-to-client stream: one request, many responses.
 * `serverStream<Req, Res>()` or `serverStream({ input, output })` with
 * Standard Schema validators (requests checked by the server, each message
 * by the client).
 */
export function serverStream<Req, Res>(options?: WindowOptions): ServerStreamDescriptor<Req, Res>;
export function serverStream<I extends Schema, O extends Schema>(
  options: WindowOptions & { input: I; output: O },
): ServerStreamDescriptor<In<I>, Out<O>, Out<I>, In<O>>;
export function serverStream(
  options: WindowOptions & { input?: Schema; output?: Schema } = {},
): MethodDescriptor {
  return descriptor('server-stream', options);
}

/**
 * A client-to-server stream: an opening message (checked by the server's
 * authorization before any data flows), many messages, one response.
 * `clientStream<Open, Chunk, Res>()` or `clientStream({ input, chunk, output })`.
 */
export function clientStream<Open, Chunk, Res>(
  options?: WindowOptions,
): ClientStreamDescriptor<Open, Chunk, Res>;
export function clientStream<I extends Schema, C extends Schema, O extends Schema>(
  options: WindowOptions & { input: I; chunk: C; output: O },
): ClientStreamDescriptor<In<I>, In<C>, Out<O>, Out<I>, Out<C>, In<O>>;
export function clientStream(
  options: WindowOptions & { input?: Schema; chunk?: Schema; output?: Schema } = {},
): MethodDescriptor {
  return descriptor('client-stream', options);
}

/**
 * A bidirectional stream: an opening message, then both sides stream at
 * once. `bidiStream<Open, In, Out>()` or `bidiStream({ input, chunk, output })`
 * (`chunk` checks client messages on the server, `output` server messages on
 * the client).
 */
export function bidiStream<Open, In, Out>(
  options?: WindowOptions,
): BidiStreamDescriptor<Open, In, Out>;
export function bidiStream<I extends Schema, C extends Schema, O extends Schema>(
  options: WindowOptions & { input: I; chunk: C; output: O },
): BidiStreamDescriptor<In<I>, In<C>, Out<O>, Out<I>, Out<C>, In<O>>;
export function bidiStream(
  options: WindowOptions & { input?: Schema; chunk?: Schema; output?: Schema } = {},
): MethodDescriptor {
  return descriptor('bidi-stream', options);
}
