/**
 * The engine API that method kinds (`unary` here, the streams of
 * `@xsmb/stream`) program against: what a client engine and a server engine
 * offer a kind, and what one call looks like to it. The engines implement
 * these; the contract module (service.ts) refers to them only through
 * {@link MethodAdapter}'s parameter types, so it never imports an engine.
 * Published as `@xsmb/rpc/kit`.
 */

import type { Codec } from '@xsmb/codec';
import type { PeerId, ServerTransport } from '@xsmb/transport';
import type {
  CallContext,
  CallOptions,
  ClientNext,
  ClientRequest,
  ServerNext,
  ServerRequest,
} from './call.js';
import type { ClientStats } from './client-options.js';
import type { Code } from './code.js';
import type { Envelope } from './envelope.js';
import type { Metadata } from './metadata.js';
import type { RpcError } from './rpc-error.js';
import type { MethodInfo } from './service.js';

/** Retry policy for methods declared `idempotent`. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default `3`. */
  maxAttempts?: number;
  /** Backoff before the second attempt, ms; doubles each time with ±20% jitter. Default `10`. */
  initialBackoffMs?: number;
  /** Upper bound of the backoff, ms. Default `1000`. */
  maxBackoffMs?: number;
  /** Codes worth a retry. Default `[UNAVAILABLE]`. */
  retryableCodes?: readonly Code[];
}

/** Receives what happens to one client call; implemented by each method kind. */
export interface CallHandler {
  /** An envelope for this call arrived (RESPONSE, ERROR, DATA, END, CREDIT); `size` is its encoded length. */
  onEnvelope(envelope: Envelope, call: ClientCall, size: number): void;
  /** The call ended without a server answer (deadline, abort, disconnect, close). */
  onError(error: RpcError, call: ClientCall): void;
}

/** One call in flight on a client, as a method kind drives it. */
export interface ClientCall {
  /** The call id on the wire. */
  readonly id: number;
  /** `service/method`. */
  readonly path: string;
  /** The endpoint the call went to. */
  readonly endpoint: string;
  /** True once the call ended (answered, failed, cancelled); later sends are dropped. */
  readonly done: boolean;
  /** True while the connection's send queue is full: wait for a send before the next one. */
  full(): boolean;
  /**
   * The call's connection, as `@xsmb/stream` 0.1 reads it (`conn.transport.isFull`).
   * @deprecated use {@link ClientCall.full}.
   */
  readonly conn: { readonly transport: { isFull?(): boolean } };
}

/** The client engine as a method kind sees it: build requests, start calls, send, end them. */
export interface ClientCore {
  /** Envelope codec. */
  readonly codec: Codec;
  /** True when client interceptors are configured (a kind may skip the chain otherwise). */
  readonly intercepted: boolean;
  /** The retry policy for idempotent methods, `undefined` when off. */
  readonly retry: Required<RetryPolicy> | undefined;
  /** Composes the client interceptors around `terminal` (once per method). */
  chain(terminal: ClientNext): ClientNext;
  /**
   * The request interceptors see, with the call's one deadline (`deadlineAt`)
   * resolved from the options, the parent context and the client default.
   */
  request(info: MethodInfo, message: unknown, options: CallOptions | undefined): ClientRequest;
  /** Absolute monotonic deadline of a request (`Infinity` without one). */
  deadlineOf(request: ClientRequest): number;
  /**
   * Starts a call: waits for an in-flight slot and a usable connection (fast
   * path: neither waits), registers the call, sends its REQUEST with
   * `payload`. Rejects with `DEADLINE_EXCEEDED`, `CANCELLED`, `UNAVAILABLE`
   * or `RESOURCE_EXHAUSTED` when it cannot start. `deadlineAt` is
   * `deadlineOf(request)` (kept for kinds that pass it; the request's own wins).
   */
  start(
    request: ClientRequest,
    handler: CallHandler,
    deadlineAt: number,
    payload: unknown,
  ): ClientCall | Promise<ClientCall>;
  /** Sends an envelope of a call (DATA, END, CREDIT); a failed send ends the call. */
  send(call: ClientCall, bytes: Uint8Array): Promise<void>;
  /** Ends a call from the client side: CANCEL to the server (best effort), `handler.onError(error)`. */
  cancel(call: ClientCall, error: RpcError): void;
  /** Ends a call: with `error` the handler's onError runs; without, the handler already settled. */
  finish(call: ClientCall, error?: RpcError): void;
  /** A kind got an envelope it has no use for: counted, never fatal. */
  ignored(): void;
  /** Tells listeners and observers about an envelope a kind sends (DATA, END, CREDIT). */
  emitOut(call: ClientCall, kind: number, message: unknown, metadata?: Metadata): void;
  /** Counters (what `clientStats` returns). */
  stats(): ClientStats;
  /** Per-endpoint state, for diagnostics and tests. */
  endpoints(): Array<{ endpoint: string; state: string; outstanding: number }>;
}

/** A registered method: where it lives, its handler. */
export interface RegisteredMethod extends MethodInfo {
  readonly handler: (...args: never[]) => unknown;
  /** Keep answering during `close({ graceMs })` (the health check, so probers see `DRAINING`). */
  readonly servesWhileDraining?: boolean;
}

/** One call inside a server, as a method kind drives it. Handlers get {@link ServerCall.ctx}. */
export interface ServerCall {
  /** The call id on the wire (unique per client connection). */
  readonly callId: number;
  /** Who called. */
  readonly peer: PeerId;
  /** The method being served. */
  readonly registered: RegisteredMethod;
  /** The handler's context: hand it to handlers and authorize hooks. */
  readonly ctx: CallContext;
  /** The handler's cancellation signal (same as `ctx.signal`). */
  readonly signal: AbortSignal;
  /** Set once the call is answered or abandoned; later answers are dropped. */
  readonly done: boolean;
  /** True once the call was cancelled, expired or shut down (its signal aborted). */
  readonly cancelled: boolean;
  /** Runs once when the call is cancelled or expires (kinds stop producing). */
  onCancel: ((error: RpcError) => void) | undefined;
  /**
   * Routes the call's later envelopes (DATA, END, CREDIT) to `handler`,
   * replaying those that arrived before. Kinds call it first thing.
   */
  receive(handler: (envelope: Envelope, size: number) => void): void;
  /** Sends one envelope of this call (streams). Resolves when queued. */
  send(bytes: Uint8Array): Promise<void>;
  /** Sends the unary RESPONSE (unless abandoned) and finishes the call. */
  respond(payload: unknown): void;
  /** Sends an ERROR (unless abandoned) and finishes the call. */
  fail(error: unknown): void;
  /** Ends a stream call successfully: END with the trailers (unless abandoned). */
  end(): void;
  /** Stops the call (abort its signal); with `answer`, the client gets `reason` as ERROR. */
  abandon(reason: RpcError, answer?: boolean): void;
}

/** The server engine as a method kind sees it. */
export interface ServerCore {
  /** Envelope codec. */
  readonly codec: Codec;
  /** The listening transport (kinds read `isFull(peer)` to pace themselves). */
  readonly transport: ServerTransport;
  /** True when server interceptors are configured (a kind may skip the chain otherwise). */
  readonly intercepted: boolean;
  /** The request interceptors and the authorize hook see. */
  requestOf(call: ServerCall, message: unknown): ServerRequest;
  /** Runs the server-wide authorize hook: `undefined` at once without one, else its result. */
  authorizeCall(call: ServerCall, message: unknown): void | Promise<void>;
  /** Composes the server interceptors around `terminal` (for terminals capturing one call's state). */
  chain(terminal: ServerNext): ServerNext;
  /** The chain for one method, cached: `terminal` must take everything call-specific from its request. */
  chainFor(method: RegisteredMethod, terminal: ServerNext): ServerNext;
  /** Tells listeners and observers about an envelope a kind sends (DATA, END, CREDIT). */
  emitOut(call: ServerCall, kind: number, message: unknown, metadata?: Metadata): void;
}
