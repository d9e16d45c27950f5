/**
 * The server engine shared by every method kind: the method table, decoding
 * and checking of envelopes, the concurrency limit and its bounded queue,
 * deadlines, cancellation, and graceful shutdown. Method kinds serve a call
 * through {@link MethodAdapter.serve} and end it with
 * {@link ServerCallRecord.respond} / {@link ServerCallRecord.fail} (or stream envelopes).
 */

import type { Codec } from '@xsmb/codec';
import type { PeerId, ServerTransport } from '@xsmb/transport';
import type {
  Authorize,
  CallContext,
  RpcListener,
  ServerInterceptor,
  ServerNext,
  ServerRequest,
} from './call.js';
import { Wire } from './call-wire.js';
import { Code, codeName } from './code.js';
import type { ContextValues } from './context-values.js';
import { DeadlineQueue, type Expirable, now } from './deadline-queue.js';
import type { RegisteredMethod, ServerCall, ServerCore } from './engine.js';
import {
  checkEnvelope,
  type Envelope,
  encodeEnd,
  encodeError,
  encodeGoaway,
  encodeResponse,
  Kind,
  kindMismatchMessage,
  PROTOCOL_VERSION,
  peekHeader,
  requestKind,
} from './envelope.js';
import { HandlerContext } from './handler-context.js';
import { kindName } from './kind-name.js';
import { Listeners } from './listeners.js';
import { isEmptyMetadata, type Metadata, MetadataKey, metadataProblem } from './metadata.js';
import { RpcError } from './rpc-error.js';
import type { MethodInfo } from './service.js';

/** Envelopes kept for a call whose method kind is not listening yet (its credit window bounds them). */
const MAX_EARLY = 4096;

/** Options of the server engine (see `createServer`). */
export interface ServerCoreOptions {
  /** The listening transport. */
  transport: ServerTransport;
  /** Envelope codec. */
  codec: Codec;
  /** Handlers running at once; further calls queue. Default `1024`. */
  maxConcurrency?: number;
  /** Calls that may queue behind `maxConcurrency`; beyond it `RESOURCE_EXHAUSTED`. Default `4096`. */
  maxQueuedCalls?: number;
  /** The retry hint sent in `xsmb-retry-after-ms` with `RESOURCE_EXHAUSTED`. Default `50`. */
  retryAfterMs?: number;
  /** Server interceptors, outermost first. Default none. */
  interceptors?: readonly ServerInterceptor[];
  /** Observe-only listeners. Default none. */
  listeners?: readonly RpcListener[];
  /**
   * Server-wide authorization, run before every handler (for client and bidi
   * streams: before any client message is accepted). Default none.
   */
  authorize?: Authorize;
  /**
   * Send the message and stack of errors that are not `RpcError`s to clients
   * (in `details.stack`). Default `false`: clients get `INTERNAL` "internal error".
   */
  exposeInternalErrors?: boolean;
}

/** Health states, as the built-in health service reports them. */
export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'DRAINING';

/** Counters of a server. */
export interface ServerStats {
  /** Handlers running now. */
  active: number;
  /** Calls queued behind the concurrency limit now. */
  queued: number;
  /** Calls whose handler started. */
  started: number;
  /** Calls refused with RESOURCE_EXHAUSTED. */
  rejected: number;
  /** Calls that expired in the queue and were never run. */
  expiredInQueue: number;
  /** Calls cancelled by their client. */
  cancelled: number;
  /** Undecodable or malformed envelopes (answered with an ERROR where the call id is known). */
  protocolErrors: number;
  /** Answers that could not be sent (client gone). */
  sendFailures: number;
  /** Calls cancelled because their client disconnected. */
  peerLost: number;
  /** Listener exceptions swallowed. */
  listenerErrors: number;
  /** Calls that ended with an error, all codes (cancel, deadline, handler errors, shutdown). */
  failed: number;
  /**
   * Failed calls by the code their client got (code name, e.g. `NOT_FOUND`,
   * `DEADLINE_EXCEEDED`); a call cancelled by its client counts as `CANCELLED`.
   */
  failedByCode: Readonly<Record<string, number>>;
  /** Envelopes ignored under the forward-compatibility rule (unknown kind, misplaced, unknown call id, call id outside uint32). */
  ignoredEnvelopes: number;
}

/**
 * One call inside a server: the engine's record. Handlers get its `ctx`, a
 * read-only view. It still carries the context's fields itself because
 * `@xsmb/stream` 0.1 hands the record to handlers; kinds should pass `ctx`.
 */
export class ServerCallRecord implements ServerCall, CallContext, Expirable {
  readonly trailers: Metadata = {};
  readonly deadline: number;
  /** Monotonic deadline. */
  readonly deadlineAt: number;
  readonly startedAt = now();
  deadlineKey = -1;
  /** Set once the call is answered or abandoned; later answers are dropped. */
  done = false;
  /** Set when the client gave up or the deadline passed: the answer is not sent. */
  abandoned = false;
  /** Streams set it through {@link receive}: envelopes for this call after the REQUEST. */
  onEnvelope: ((envelope: Envelope, size: number) => void) | undefined;
  /** Envelopes that arrived before a method kind called {@link receive} (e.g. CREDIT behind a queued REQUEST). */
  early: Array<[Envelope, number]> | undefined;
  /** Streams use it: runs once when the call is cancelled or expires. */
  onCancel: ((error: RpcError) => void) | undefined;
  /** True while waiting in the concurrency queue. */
  queued = false;
  /** The error the call failed with (the real one; the client may see a sanitized copy). */
  error: RpcError | undefined;
  #controller: AbortController | undefined;
  #reason: RpcError | undefined;
  #running = false;
  #ctx: HandlerContext | undefined;
  #wire: Wire | undefined;

  constructor(
    readonly core: ServerEngine,
    readonly peer: PeerId,
    readonly callId: number,
    readonly registered: RegisteredMethod,
    readonly metadata: Readonly<Metadata>,
    timeoutMs: number,
    readonly payload: unknown,
  ) {
    if (timeoutMs > 0) {
      this.deadlineAt = this.startedAt + timeoutMs;
      this.deadline = Date.now() + timeoutMs;
    } else {
      this.deadlineAt = Number.POSITIVE_INFINITY;
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /** The handler's context, created on first use. */
  get ctx(): CallContext {
    this.#ctx ??= new HandlerContext(this);
    return this.#ctx;
  }

  /** @deprecated the handler's `ctx.contextValues`; here for kinds that hand the record to handlers. */
  get contextValues(): ContextValues {
    return this.ctx.contextValues;
  }

  /** The call's wire for observers, created on first use (interceptors). */
  get wire(): Wire {
    if (!this.#wire) {
      const endpoints = this.core.transport.endpoints;
      // With one endpoint, it is the one the call came in on.
      this.#wire = new Wire(endpoints.length === 1 ? endpoints[0] : undefined);
    }
    return this.#wire;
  }

  /** Reports a stream message to observers, if any looked at the wire. */
  observed(direction: 'in' | 'out', message: unknown): void {
    this.#wire?.notify(direction, message);
  }

  get service(): string {
    return this.registered.service;
  }
  get method(): string {
    return this.registered.method;
  }
  get path(): string {
    return this.registered.path;
  }

  /** Created on first read: most handlers never look, and an AbortController costs µs. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  timeRemainingMs(): number {
    return this.deadlineAt === Number.POSITIVE_INFINITY
      ? this.deadlineAt
      : Math.max(0, this.deadlineAt - now());
  }

  /** True once the handler's signal has (or would have) aborted. */
  get cancelled(): boolean {
    return this.#reason !== undefined;
  }

  expire(): void {
    this.deadlineKey = -1;
    this.abandon(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded'));
  }

  /**
   * The client gave up (CANCEL), the deadline passed, or the server is
   * shutting down: abort the handler's signal; its answer will not be sent.
   */
  abandon(reason: RpcError, answer?: boolean): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.abandoned = answer !== true;
    this.#controller?.abort(reason);
    try {
      this.onCancel?.(reason);
    } catch {
      // A stream's cleanup must not break the server.
    }
    if (answer) this.fail(reason);
    // A queued call that never started is finished here; a running one when its handler settles.
    if (!this.#running) this.core.settle(this);
  }

  markRunning(): void {
    this.#running = true;
  }

  /** True once its handler was started (it holds a concurrency slot until it settles). */
  get running(): boolean {
    return this.#running;
  }

  /** Sends the unary RESPONSE (unless abandoned) and finishes the call. */
  respond(payload: unknown): void {
    if (this.done) return;
    this.done = true;
    if (!this.abandoned) this.core.sendResponse(this, payload);
    this.core.settle(this);
  }

  /** Sends an ERROR (unless abandoned) and finishes the call. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error ??= outcomeOf(error, this.core.exposeInternalErrors);
    if (!this.abandoned) this.core.sendError(this, error);
    this.core.settle(this);
  }

  /** Sends one envelope of this call (streams). Resolves when queued. */
  send(bytes: Uint8Array): Promise<void> {
    return this.core.sendRaw(this, bytes);
  }

  /**
   * Routes the call's later envelopes (DATA, END, CREDIT) to `handler`,
   * replaying those that arrived before. Method kinds call it first thing.
   */
  receive(handler: (envelope: Envelope, size: number) => void): void {
    this.onEnvelope = handler;
    const early = this.early;
    this.early = undefined;
    if (early) for (const [env, size] of early) handler(env, size);
  }

  /** Ends a stream call successfully: sends END with the trailers (unless abandoned) and finishes. */
  end(): void {
    if (this.done) return;
    this.done = true;
    if (!this.abandoned) this.core.sendEnd(this);
    this.core.settle(this);
  }
}

/** Unary calls take nothing after their REQUEST but CANCEL; stream kinds take DATA, END, CREDIT. */
function acceptsStreamEnvelopes(call: ServerCallRecord): boolean {
  return call.registered.descriptor.kind !== 'unary';
}

/**
 * The error a failed call is recorded with (listeners, stats, logs): the code
 * the client gets, and the real message and cause (the client may get a
 * sanitized copy, see {@link toRpcError}).
 */
function outcomeOf(error: unknown, expose: boolean): RpcError {
  if (error instanceof RpcError) return error;
  const sent = toRpcError(error, expose);
  return new RpcError(sent.code, error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

function toRpcError(error: unknown, expose: boolean): RpcError {
  if (error instanceof RpcError) return error;
  const converted = RpcError.from(error, Code.INTERNAL);
  if (converted.code !== Code.INTERNAL || expose) {
    if (expose && error instanceof Error) {
      return new RpcError(converted.code, converted.rawMessage, {
        details: { stack: error.stack ?? '' },
      });
    }
    return converted;
  }
  return new RpcError(Code.INTERNAL, 'internal error');
}

/** The server engine. Users see it through `createServer`. */
export class ServerEngine implements ServerCore {
  readonly codec: Codec;
  readonly transport: ServerTransport;
  readonly listeners: Listeners;
  readonly deadlines = new DeadlineQueue();
  readonly methods = new Map<string, RegisteredMethod>();
  readonly services = new Map<string, MethodInfo[]>();
  health: HealthStatus = 'SERVING';
  readonly #interceptors: readonly ServerInterceptor[];
  readonly #authorize: Authorize | undefined;
  readonly #chains = new Map<RegisteredMethod, ServerNext>();
  readonly #active = new Map<PeerId, Map<number, ServerCallRecord>>();
  readonly #queue: ServerCallRecord[] = [];
  readonly #peers = new Set<PeerId>();
  readonly #maxConcurrency: number;
  readonly #maxQueued: number;
  readonly #retryAfter: string;
  readonly #expose: boolean;
  readonly #failedByCode: Record<string, number> = {};
  #failed = 0;
  #running = 0;
  #draining = false;
  #idle: (() => void) | undefined;
  readonly #stats = {
    started: 0,
    rejected: 0,
    expiredInQueue: 0,
    cancelled: 0,
    protocolErrors: 0,
    sendFailures: 0,
    peerLost: 0,
    ignoredEnvelopes: 0,
  };

  constructor(options: ServerCoreOptions) {
    this.codec = options.codec;
    this.transport = options.transport;
    this.listeners = new Listeners(options.listeners);
    this.#interceptors = options.interceptors ?? [];
    this.#authorize = options.authorize;
    this.#maxConcurrency = options.maxConcurrency ?? 1024;
    this.#maxQueued = options.maxQueuedCalls ?? 4096;
    this.#retryAfter = String(options.retryAfterMs ?? 50);
    this.#expose = options.exposeInternalErrors ?? false;
    // A client that went away (process died, network dropped, heartbeat
    // timed out) will never read an answer: stop its calls now rather than at
    // their deadlines.
    this.transport.on('disconnected', (e) => {
      if (e.peer !== undefined) this.#peerGone(e.peer);
    });
    void this.#read();
  }

  /** The request object interceptors and the authorize hook see. */
  requestOf(call: ServerCallRecord, message: unknown): ServerRequest {
    return {
      kind: call.registered.descriptor.kind,
      service: call.service,
      method: call.method,
      path: call.path,
      descriptor: call.registered.descriptor,
      message,
      ctx: call.ctx,
      contextValues: call.ctx.contextValues,
      wire: call.wire,
    };
  }

  /**
   * Runs the server-wide authorize hook. Returns `undefined` at once when
   * there is none (the common, fast case), else the hook's result.
   */
  authorizeCall(call: ServerCallRecord, message: unknown): void | Promise<void> {
    if (!this.#authorize) return undefined;
    return this.#authorize(this.requestOf(call, message));
  }

  /** True when server interceptors are configured (method kinds may skip the chain otherwise). */
  get intercepted(): boolean {
    return this.#interceptors.length > 0;
  }

  /** Composes the server interceptors around `terminal` (for terminals that capture one call's state). */
  chain(terminal: ServerNext): ServerNext {
    let chain = terminal;
    for (let i = this.#interceptors.length - 1; i >= 0; i--)
      chain = (this.#interceptors[i] as ServerInterceptor)(chain);
    return chain;
  }

  /**
   * The interceptor chain around `terminal` for one method, composed on first
   * use and cached (interceptors are fixed for the server's life). The
   * terminal must take everything call-specific from its request (it is
   * reused for every call of the method); otherwise use {@link chain}.
   */
  chainFor(method: RegisteredMethod, terminal: ServerNext): ServerNext {
    let chain = this.#chains.get(method);
    if (!chain) {
      chain = terminal;
      for (let i = this.#interceptors.length - 1; i >= 0; i--)
        chain = (this.#interceptors[i] as ServerInterceptor)(chain);
      this.#chains.set(method, chain);
    }
    return chain;
  }

  /** Adds a method; a path can be registered once. */
  register(method: RegisteredMethod): void {
    if (this.methods.has(method.path)) throw new Error(`${method.path} is already registered`);
    this.methods.set(method.path, method);
    const list = this.services.get(method.service) ?? [];
    list.push(method);
    this.services.set(method.service, list);
  }

  async #read(): Promise<void> {
    try {
      const t = this.transport;
      // The rest of a burst is handled synchronously where the transport can.
      const drain = t.drainBuffered
        ? (peer: PeerId, bytes: Uint8Array) => this.#onMessage(peer, bytes)
        : undefined;
      for await (const { peer, message } of t) {
        this.#onMessage(peer, message);
        if (drain) t.drainBuffered?.(drain);
      }
    } catch {
      // Transport closed under us: close() handles the calls.
    }
  }

  #onMessage(peer: PeerId, bytes: Uint8Array): void {
    this.#peers.add(peer);
    let env: Envelope;
    try {
      env = this.codec.decode(bytes) as Envelope;
    } catch (e) {
      this.#stats.protocolErrors++;
      const header = peekHeader(bytes);
      if (!header) return;
      if (header.version !== PROTOCOL_VERSION) {
        this.#sendBare(
          peer,
          header.id,
          Code.FAILED_PRECONDITION,
          `unsupported protocol version ${header.version}; this server speaks ${PROTOCOL_VERSION}`,
        );
      } else if (header.kind === Kind.REQUEST) {
        this.#sendBare(
          peer,
          header.id,
          Code.INVALID_ARGUMENT,
          `request could not be decoded: ${(e as Error).message}`,
        );
      } else {
        this.#activeCall(peer, header.id)?.abandon(
          new RpcError(Code.INVALID_ARGUMENT, 'malformed envelope'),
          true,
        );
      }
      return;
    }
    const problem = checkEnvelope(env);
    if (problem?.ignore) {
      this.#stats.ignoredEnvelopes++;
      return;
    }
    if (problem) {
      this.#stats.protocolErrors++;
      const id = Array.isArray(env) && typeof env[2] === 'number' ? env[2] : undefined;
      if (id !== undefined) {
        this.#sendBare(
          peer,
          id,
          problem.version ? Code.FAILED_PRECONDITION : Code.INVALID_ARGUMENT,
          problem.message,
        );
      }
      return;
    }
    const kind = env[1] as number;
    const id = env[2] as number;
    if (kind === Kind.REQUEST) {
      this.#onRequest(peer, id, env);
      return;
    }
    const call = this.#activeCall(peer, id);
    if (!call || (kind !== Kind.CANCEL && !acceptsStreamEnvelopes(call))) {
      // An id with no call (late, or never started) or an envelope the call's kind has no use for.
      this.#stats.ignoredEnvelopes++;
      return;
    }
    if (this.listeners.hasMessage) this.#emitIn(call, env);
    if (kind === Kind.DATA) call.observed('in', env[3]);
    if (kind === Kind.CANCEL) {
      this.#stats.cancelled++;
      call.abandon(new RpcError(Code.CANCELLED, 'cancelled by the client'));
    } else if (call.onEnvelope) {
      call.onEnvelope(env, bytes.byteLength);
    } else {
      // Not yet handled by its method kind (queued, or validating): keep a few, in order.
      call.early ??= [];
      if (call.early.length >= MAX_EARLY) {
        call.abandon(
          new RpcError(
            Code.RESOURCE_EXHAUSTED,
            'too many stream envelopes before the call started',
          ),
          true,
        );
      } else call.early.push([env, bytes.byteLength]);
    }
  }

  #emitIn(call: ServerCallRecord, env: Envelope): void {
    const kind = env[1] as number;
    this.listeners.message({
      side: 'server',
      direction: 'in',
      kind: kindName(kind),
      path: call.path,
      callId: call.callId,
      peer: call.peer,
      metadata:
        kind === Kind.REQUEST
          ? call.metadata
          : kind === Kind.END
            ? ((env[3] as Metadata) ?? undefined)
            : undefined,
      message: kind === Kind.REQUEST ? call.payload : kind === Kind.DATA ? env[3] : undefined,
    });
  }

  #peerGone(peer: PeerId): void {
    this.#peers.delete(peer);
    const calls = this.#active.get(peer);
    if (!calls) return;
    const error = new RpcError(Code.UNAVAILABLE, 'the client disconnected');
    for (const call of [...calls.values()]) {
      this.#stats.peerLost++;
      call.abandon(error);
    }
  }

  #activeCall(peer: PeerId, id: number): ServerCallRecord | undefined {
    return this.#active.get(peer)?.get(id);
  }

  #onRequest(peer: PeerId, id: number, env: Envelope): void {
    const path = env[3];
    const timeoutMs = env[4];
    const metadata = env[5];
    if (typeof path !== 'string' || typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      this.#stats.protocolErrors++;
      this.#sendBare(peer, id, Code.INVALID_ARGUMENT, 'malformed request envelope');
      return;
    }
    const mdProblem = metadataProblem(metadata);
    if (mdProblem) {
      this.#stats.protocolErrors++;
      this.#sendBare(peer, id, mdProblem.code, mdProblem.message);
      return;
    }
    const method = this.methods.get(path);
    if (!method) {
      const slash = path.indexOf('/');
      const what = this.services.has(path.slice(0, slash)) ? 'method' : 'service';
      this.#sendBare(peer, id, Code.UNIMPLEMENTED, `unknown ${what}: ${path}`);
      return;
    }
    const clientKind = requestKind(env);
    if (clientKind !== undefined && clientKind !== method.descriptor.kind) {
      // Served anyway, a kind mismatch hangs until the deadline or ends wrong.
      this.#sendBare(
        peer,
        id,
        Code.UNIMPLEMENTED,
        kindMismatchMessage(path, method.descriptor.kind, clientKind),
      );
      return;
    }
    if (this.#draining && method.servesWhileDraining !== true) {
      this.#sendBare(peer, id, Code.UNAVAILABLE, 'server is draining');
      return;
    }
    let calls = this.#active.get(peer);
    if (!calls) {
      calls = new Map();
      this.#active.set(peer, calls);
    } else if (calls.has(id)) {
      this.#sendBare(peer, id, Code.FAILED_PRECONDITION, `call id ${id} is already in use`);
      return;
    }
    const call = new ServerCallRecord(
      this,
      peer,
      id,
      method,
      (metadata as Metadata | null) ?? {},
      timeoutMs,
      env[6],
    );
    if (this.listeners.hasStart) {
      this.listeners.start({ side: 'server', path, callId: id, peer, metadata: call.metadata });
    }
    if (this.listeners.hasMessage) this.#emitIn(call, env);
    if (this.#running < this.#maxConcurrency) {
      calls.set(id, call);
      if (Number.isFinite(call.deadlineAt))
        call.deadlineKey = this.deadlines.add(call, call.deadlineAt);
      this.#run(call);
    } else if (this.#queue.length < this.#maxQueued) {
      calls.set(id, call);
      if (Number.isFinite(call.deadlineAt))
        call.deadlineKey = this.deadlines.add(call, call.deadlineAt);
      call.queued = true;
      this.#queue.push(call);
    } else {
      this.#stats.rejected++;
      this.#sendBare(peer, id, Code.RESOURCE_EXHAUSTED, 'server overloaded', {
        [MetadataKey.RETRY_AFTER_MS]: this.#retryAfter,
      });
    }
  }

  #run(call: ServerCallRecord): void {
    this.#running++;
    this.#stats.started++;
    call.markRunning();
    try {
      call.registered.descriptor.adapter.serve(this, call, call.registered.handler, call.payload);
    } catch (e) {
      call.fail(e);
    }
  }

  /** Called exactly once per call when it is over (answered, failed, or abandoned before it ran). */
  settle(call: ServerCallRecord): void {
    const calls = this.#active.get(call.peer);
    if (calls?.get(call.callId) !== call) return;
    calls.delete(call.callId);
    if (calls.size === 0) this.#active.delete(call.peer);
    if (call.deadlineKey >= 0) this.deadlines.remove(call, call.deadlineKey);
    call.done = true;
    const ran = call.running;
    if (call.queued) {
      call.queued = false;
      this.#queue.splice(this.#queue.indexOf(call), 1);
      this.#stats.expiredInQueue++;
    }
    const error = this.#outcome(call);
    if (error) {
      this.#failed++;
      const name = codeName(error.code);
      this.#failedByCode[name] = (this.#failedByCode[name] ?? 0) + 1;
    }
    if (this.listeners.hasEnd) {
      this.listeners.end({
        side: 'server',
        path: call.path,
        callId: call.callId,
        peer: call.peer,
        code: error ? error.code : Code.OK,
        error,
        durationMs: now() - call.startedAt,
      });
    }
    if (ran) {
      this.#running--;
      this.#next();
    }
  }

  /** How a call ended: why it was abandoned (cancel, deadline, shutdown), else the error it failed with. */
  #outcome(call: ServerCallRecord): RpcError | undefined {
    if (call.cancelled) return call.signal.reason as RpcError;
    return call.error;
  }

  /** True when handler errors that are not RpcErrors go to clients verbatim. */
  get exposeInternalErrors(): boolean {
    return this.#expose;
  }

  #next(): void {
    while (this.#running < this.#maxConcurrency && this.#queue.length > 0) {
      const call = this.#queue.shift() as ServerCallRecord;
      call.queued = false;
      // Its deadline may have passed while it waited, before the timer fired: don't run it.
      if (call.deadlineAt <= now()) {
        this.#stats.expiredInQueue++;
        call.expire();
        continue;
      }
      this.#run(call);
    }
    if (this.#running === 0 && this.#queue.length === 0) this.#idle?.();
  }

  sendResponse(call: ServerCallRecord, payload: unknown): void {
    const trailers = isEmptyMetadata(call.trailers) ? undefined : call.trailers;
    let bytes: Uint8Array;
    try {
      bytes = encodeResponse(this.codec, call.callId, trailers, payload);
    } catch (e) {
      this.#encodeFailed(call, 'response', e);
      return;
    }
    const max = this.transport.maxMessageBytes;
    if (max !== undefined && bytes.byteLength > max) {
      // Known before sending: the outcome is recorded before the call settles.
      call.error = new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `response of ${bytes.byteLength} bytes exceeds maxMessageBytes ${max}`,
      );
      this.sendError(call, call.error);
      return;
    }
    if (this.listeners.hasMessage) {
      this.listeners.message({
        side: 'server',
        direction: 'out',
        kind: 'response',
        path: call.path,
        callId: call.callId,
        peer: call.peer,
        metadata: call.trailers,
        message: payload,
      });
    }
    this.transport.send(call.peer, bytes).catch((e: unknown) => {
      if ((e as { code?: unknown }).code === 'TOO_LARGE') this.#tooLarge(call, e);
      else this.#stats.sendFailures++;
    });
  }

  sendEnd(call: ServerCallRecord): void {
    const trailers = isEmptyMetadata(call.trailers) ? undefined : call.trailers;
    this.emitOut(call, Kind.END, undefined, call.trailers);
    let bytes: Uint8Array;
    try {
      bytes = encodeEnd(this.codec, call.callId, trailers);
    } catch (e) {
      this.#encodeFailed(call, 'trailers', e);
      return;
    }
    this.sendRaw(call, bytes);
  }

  /**
   * What a handler returned cannot be encoded (a function, a BigInt beyond
   * int64): a server bug, so the client gets INTERNAL with a generic message
   * unless `exposeInternalErrors`; the call's outcome keeps the real error.
   */
  #encodeFailed(call: ServerCallRecord, what: string, cause: unknown): void {
    const error = new Error(`${what} could not be encoded: ${(cause as Error).message}`, { cause });
    call.error = outcomeOf(error, this.#expose);
    this.sendError(call, error);
  }

  /**
   * A RESPONSE above the transport's `maxMessageBytes`: tell the client
   * (RESOURCE_EXHAUSTED, as gRPC) instead of leaving it to its deadline.
   */
  #tooLarge(call: ServerCallRecord, e: unknown): void {
    // Only reached with transports that do not expose maxMessageBytes (see sendResponse).
    const name = codeName(Code.RESOURCE_EXHAUSTED);
    this.#failed++;
    this.#failedByCode[name] = (this.#failedByCode[name] ?? 0) + 1;
    this.#sendBare(
      call.peer,
      call.callId,
      Code.RESOURCE_EXHAUSTED,
      `response too large: ${(e as Error).message}`,
    );
  }

  /** Tells listeners about an envelope a method kind sends (DATA, END, CREDIT). */
  emitOut(call: ServerCallRecord, kind: number, message: unknown, metadata?: Metadata): void {
    if (kind === Kind.DATA) call.observed('out', message);
    if (!this.listeners.hasMessage) return;
    this.listeners.message({
      side: 'server',
      direction: 'out',
      kind: kindName(kind),
      path: call.path,
      callId: call.callId,
      peer: call.peer,
      metadata,
      message,
    });
  }

  sendError(call: ServerCallRecord, error: unknown): void {
    const e = toRpcError(error, this.#expose);
    const trailers = { ...call.trailers, ...e.metadata };
    if (this.listeners.hasMessage) {
      this.listeners.message({
        side: 'server',
        direction: 'out',
        kind: 'error',
        path: call.path,
        callId: call.callId,
        peer: call.peer,
        metadata: trailers,
        message: { code: e.code, message: e.rawMessage },
      });
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeError(
        this.codec,
        call.callId,
        e.code,
        e.rawMessage,
        e.details,
        isEmptyMetadata(trailers) ? undefined : trailers,
      );
    } catch {
      bytes = encodeError(this.codec, call.callId, e.code, e.rawMessage, undefined, undefined);
    }
    this.sendRaw(call, bytes);
  }

  sendRaw(call: ServerCallRecord, bytes: Uint8Array): Promise<void> {
    return this.transport.send(call.peer, bytes).catch(() => {
      // The client is gone; nothing to tell it. Counted for operators.
      this.#stats.sendFailures++;
    });
  }

  /** An ERROR for a call that has no ServerCallRecord (refused before it started). */
  #sendBare(peer: PeerId, id: number, code: Code, message: string, trailers?: Metadata): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeError(this.codec, id, code, message, undefined, trailers);
    } catch {
      return;
    }
    this.transport.send(peer, bytes).catch(() => {
      this.#stats.sendFailures++;
    });
  }

  stats(): ServerStats {
    let active = 0;
    for (const calls of this.#active.values()) active += calls.size;
    return {
      active: active - this.#queue.length,
      queued: this.#queue.length,
      ...this.#stats,
      listenerErrors: this.listeners.errors,
      failed: this.#failed,
      failedByCode: { ...this.#failedByCode },
    };
  }

  /**
   * Graceful shutdown: refuse new calls (`UNAVAILABLE`), tell known clients
   * (GOAWAY), let running calls finish for up to `graceMs`, then cancel what
   * is left (its clients get `UNAVAILABLE`), and close the transport.
   */
  async close(graceMs: number): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.health = 'DRAINING';
    let goaway: Uint8Array | undefined;
    try {
      goaway = encodeGoaway(this.codec, 'server shutting down');
    } catch {
      goaway = undefined;
    }
    if (goaway) for (const peer of this.#peers) this.transport.send(peer, goaway).catch(() => {});
    if (this.#running > 0 || this.#queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#idle = undefined;
    const error = new RpcError(Code.UNAVAILABLE, 'server shut down before the call finished');
    for (const calls of [...this.#active.values()])
      for (const call of [...calls.values()]) call.abandon(error, true);
    this.deadlines.clear();
    this.health = 'NOT_SERVING';
    await this.transport.close();
  }
}
