/** Types of a call as interceptors, listeners, handlers and callers see it. */

import type { PeerId } from '@xsmb/transport';
import type { Code } from './code.js';
import type { ContextValues } from './context-values.js';
import type { Metadata } from './metadata.js';
import type { RpcError } from './rpc-error.js';
import type { AnyMethod } from './service.js';

/** Per-call options of a client call. */
export interface CallOptions {
  /** Time budget in ms from now; default: the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Absolute deadline, epoch ms (`Date.now()` scale); the earlier of this and `timeoutMs` wins. */
  deadline?: number;
  /** Aborting it cancels the call: the server's `ctx.signal` aborts, the call rejects with `CANCELLED`. */
  signal?: AbortSignal;
  /** Request headers, merged over the client's default metadata. */
  metadata?: Metadata;
  /**
   * The context of the handler making this call: its deadline bounds this
   * one (the budget shrinks hop by hop) and its cancellation cancels it.
   */
  parent?: Pick<CallContext, 'deadline' | 'signal'>;
  /** Wait for a connection until the deadline instead of failing fast with `UNAVAILABLE`. Default: the client's. */
  waitForReady?: boolean;
  /** Receives the response trailers of a successful call (failed calls carry them in `RpcError.metadata`). */
  onTrailers?: (trailers: Metadata) => void;
  /** Values for this call's interceptors (`request.contextValues`). Default: a fresh, empty set. */
  contextValues?: ContextValues;
}

/** Sees one stream message of a call: `'in'` received, `'out'` sent. */
export type WireObserver = (direction: 'in' | 'out', message: unknown) => void;

/**
 * Where a call travels and what crosses it, for observers (tracing,
 * metrics). One per call, shared by every copy of its request.
 */
export interface CallWire {
  /**
   * Client: the endpoint the call was sent to, set when it is (`undefined`
   * before, and when it never started). Server: the endpoint the call came
   * in on, when the server listens on exactly one (else `undefined`).
   */
  readonly endpoint: string | undefined;
  /**
   * Calls `observer` for each stream message (DATA) of this call as it
   * crosses the wire, in either direction. Unary calls have none. Observers
   * run synchronously on the hot path; what they throw is ignored.
   */
  observe(observer: WireObserver): void;
}

/** Which method a call is for, as interceptors see it. */
export interface CallMethod {
  /** The method kind, e.g. `'unary'`. */
  readonly kind: string;
  /** Service name. */
  readonly service: string;
  /** Method name. */
  readonly method: string;
  /** `service/method`. */
  readonly path: string;
  /** The method descriptor. */
  readonly descriptor: AnyMethod;
}

/** A call on its way out of a client, as interceptors see it. */
export interface ClientRequest<I = unknown> extends CallMethod {
  /** The request (for client streams: the opening message). Interceptors may replace it. */
  message: I;
  /** Request headers; interceptors may add or change entries. */
  metadata: Metadata;
  /**
   * The call's one deadline, monotonic (`performance.now()` scale), fixed when
   * the call starts; `Infinity` without one. Time spent in interceptors counts
   * against it. Interceptors may move it (e.g. shorten it). Always set on
   * requests the client builds; a hand-made request without it falls back
   * to `timeoutMs` from when it is sent.
   */
  deadlineAt?: number;
  /**
   * Budget left in ms, read now (`undefined`: no deadline). Assigning it sets
   * {@link deadlineAt} to now plus the value; a copy made with object spread
   * keeps `deadlineAt`, which is what counts.
   */
  timeoutMs: number | undefined;
  /** Cancellation signal, if the caller gave one. */
  signal: AbortSignal | undefined;
  /** Wait for a connection instead of failing fast. */
  waitForReady: boolean;
  /** Client and bidi streams: the messages the client sends after the opening one. */
  messages?: AsyncIterable<unknown>;
  /** Values shared along this call's chain (from `CallOptions.contextValues`, else a fresh set). */
  readonly contextValues: ContextValues;
  /** The endpoint the call goes to and its stream messages, for observers. */
  readonly wire: CallWire;
}

/** What a client call produced, as interceptors see it. */
export interface ClientResponse<O = unknown> extends ServerResponse<O> {
  /** Trailers from the server; for streams, complete once `messages` ended. */
  trailers: Metadata;
}

/** The next step of a client chain. */
export type ClientNext = (request: ClientRequest) => Promise<ClientResponse>;

/**
 * Client middleware: reads or changes the request, calls `next` (zero, one or
 * several times), reads or changes the response. The first interceptor in the
 * list is the outermost.
 */
export type ClientInterceptor = (next: ClientNext) => ClientNext;

/** What a server handler gets besides the request. */
export interface CallContext {
  /** Service name. */
  readonly service: string;
  /** Method name. */
  readonly method: string;
  /** `service/method`. */
  readonly path: string;
  /** Request headers. */
  readonly metadata: Readonly<Metadata>;
  /** Response trailers: set entries here to send them with the response or error. */
  readonly trailers: Metadata;
  /** Absolute deadline, epoch ms; `Infinity` when the caller set none. */
  readonly deadline: number;
  /** Aborts when the client cancels, the deadline passes or the server shuts down. Created on first read. */
  readonly signal: AbortSignal;
  /** Who called: the transport peer id. */
  readonly peer: PeerId;
  /** The call id on the wire (unique per client connection). */
  readonly callId: number;
  /** Values the server interceptors set for this call (`request.contextValues`). */
  readonly contextValues: ContextValues;
  /** Milliseconds left before the deadline (`Infinity` when none). */
  timeRemainingMs(): number;
}

/** A call inside a server, as interceptors see it. */
export interface ServerRequest<I = unknown> extends CallMethod {
  /** The request (validated); for client streams the opening message. */
  message: I;
  /** The handler context (metadata, trailers, deadline, signal, peer). */
  readonly ctx: CallContext;
  /** Values shared along the chain and with the handler (the same object as `ctx.contextValues`). */
  readonly contextValues: ContextValues;
  /** The endpoint the call came in on and its stream messages, for observers. */
  readonly wire: CallWire;
}

/** What a handler produced, as server interceptors see it (and, with trailers, what a client call produced). */
export interface ServerResponse<O = unknown> {
  /** True for kinds whose result is a message stream (`messages`). */
  readonly stream: boolean;
  /** The single result (unary, client stream). */
  message?: O;
  /** The result messages (server and bidi streams). */
  messages?: AsyncIterable<O>;
}

/**
 * Decides whether a call may proceed, before its handler runs (and, for
 * client and bidi streams, before any client message is accepted). Throw an
 * `RpcError` (`PERMISSION_DENIED`, `UNAUTHENTICATED`) to refuse.
 */
export type Authorize = (request: ServerRequest) => void | Promise<void>;

/** The next step of a server chain. */
export type ServerNext = (request: ServerRequest) => Promise<ServerResponse>;

/** Server middleware; the first in the list is the outermost. */
export type ServerInterceptor = (next: ServerNext) => ServerNext;

/** One envelope seen by a listener. */
export interface MessageEvent {
  readonly side: 'client' | 'server';
  readonly direction: 'in' | 'out';
  /** Envelope kind name: `request`, `response`, `error`, `cancel`, `data`, `end`, `credit`, `goaway`. */
  readonly kind: string;
  readonly path: string | undefined;
  readonly callId: number;
  readonly peer: string | undefined;
  /** Headers (request) or trailers (response, error, end). */
  readonly metadata: Readonly<Metadata> | undefined;
  /** The payload (request, response, data). */
  readonly message: unknown;
}

/** How a call ended, seen by a listener. */
export interface CallEndEvent {
  readonly side: 'client' | 'server';
  readonly path: string;
  readonly callId: number;
  readonly peer: string | undefined;
  readonly code: Code;
  readonly error: RpcError | undefined;
  readonly durationMs: number;
}

/** A call started, seen by a listener. */
export interface CallStartEvent {
  readonly side: 'client' | 'server';
  readonly path: string;
  readonly callId: number;
  readonly peer: string | undefined;
  readonly metadata: Readonly<Metadata>;
}

/**
 * Observe-only hooks for logging, metrics and auditing. They run
 * synchronously; whatever they throw is swallowed, so a listener can never
 * break a call. Keep them cheap: they run on the hot path.
 */
export interface RpcListener {
  onCallStart?(event: CallStartEvent): void;
  onMessage?(event: MessageEvent): void;
  onCallEnd?(event: CallEndEvent): void;
}
