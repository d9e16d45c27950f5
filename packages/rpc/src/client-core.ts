/**
 * The client engine shared by every method kind: connections (one per
 * endpoint), endpoint choice per call, call ids, the in-flight limit, the
 * deadline queue, cancellation, and dispatch of incoming envelopes to calls.
 * Method kinds (unary here, streams in `@xsmb/stream`) drive calls through
 * {@link ClientEngine.start} and a {@link CallHandler}.
 */

import type { Codec } from '@xsmb/codec';
import type { ClientTransport, ClientTransportFactory } from '@xsmb/transport';
import type {
  CallOptions,
  ClientInterceptor,
  ClientNext,
  ClientRequest,
  RpcListener,
} from './call.js';
import { Wire } from './call-wire.js';
import { Code } from './code.js';
import { type ContextValues, createContextValues } from './context-values.js';
import { DeadlineQueue, type Expirable, now } from './deadline-queue.js';
import type { CallHandler, ClientCall, ClientCore, RetryPolicy } from './engine.js';
import {
  checkEnvelope,
  type Envelope,
  encodeCancel,
  encodeRequest,
  Kind,
  MAX_CALL_ID,
  peekHeader,
} from './envelope.js';
import { kindName } from './kind-name.js';
import { Listeners } from './listeners.js';
import { isEmptyMetadata, type Metadata, metadataProblem } from './metadata.js';
import { RpcError } from './rpc-error.js';
import type { MethodInfo } from './service.js';

/** How a client picks the endpoint of each call. */
export type LoadBalancing = 'round-robin' | 'least-outstanding';

/** Options of the client engine (see `createClient`). */
export interface ClientCoreOptions {
  /** Server endpoints, e.g. `['tcp://127.0.0.1:5555']`. One connection each. */
  endpoints: readonly string[];
  /** Opens a connection; the ZeroMQ transport by default. */
  transport: ClientTransportFactory;
  /** Envelope codec. */
  codec: Codec;
  /** Default time budget of a call in ms. Default `30000`; `Infinity` for none. */
  timeoutMs?: number;
  /** Metadata sent with every call (call metadata wins on conflicts). Default none. */
  metadata?: Metadata;
  /** Client interceptors, outermost first. Default none. */
  interceptors?: readonly ClientInterceptor[];
  /** Observe-only listeners. Default none. */
  listeners?: readonly RpcListener[];
  /** Calls in flight at once; further calls wait (backpressure). Default `1024`. */
  maxInFlight?: number;
  /** Calls that may wait for an in-flight slot or a connection; beyond it `RESOURCE_EXHAUSTED`. Default `16384`. */
  maxQueuedCalls?: number;
  /** Endpoint choice per call. Default `'least-outstanding'`. */
  loadBalancing?: LoadBalancing;
  /** Queue calls until a connection is up (bounded by the deadline) instead of failing fast. Default `false`. */
  waitForReady?: boolean;
  /** How long a never-connected endpoint counts as "connecting" (calls wait) before it fails fast. Default `5000`. */
  connectTimeoutMs?: number;
  /** Retry policy for idempotent methods; `false` turns retries off. Default `{ maxAttempts: 3 }`. */
  retry?: RetryPolicy | false;
}

type ConnState = 'connecting' | 'ready' | 'failing';

class Connection {
  state: ConnState = 'connecting';
  /** Why the connection is failing, for error messages. */
  reason = '';
  draining = false;
  outstanding = 0;
  readonly calls = new Set<ClientCallRecord>();
  connectTimer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    readonly endpoint: string,
    readonly transport: ClientTransport,
  ) {}
  get usable(): boolean {
    return this.state === 'ready' && !this.draining;
  }
}

/** One call in flight on a client. */
export class ClientCallRecord implements ClientCall, Expirable {
  /** Deadline bucket key, or -1 without deadline. */
  deadlineKey = -1;
  done = false;
  #abortListener: (() => void) | undefined;

  constructor(
    readonly core: ClientEngine,
    readonly id: number,
    readonly conn: Connection,
    readonly path: string,
    readonly handler: CallHandler,
    readonly signal: AbortSignal | undefined,
    readonly startedAt: number,
    /** The request's wire (absent on hand-made requests with a wire of their own). */
    readonly wire: Wire | undefined,
  ) {}

  /** Sends an envelope of this call (DATA, END, CREDIT) on its connection. */
  send(bytes: Uint8Array): Promise<void> {
    return this.conn.transport.send(bytes);
  }

  /** The endpoint this call went to. */
  get endpoint(): string {
    return this.conn.endpoint;
  }

  /** True while the connection's send queue is full. */
  full(): boolean {
    return this.conn.transport.isFull?.() === true;
  }

  listenAbort(): void {
    const signal = this.signal;
    if (!signal) return;
    this.#abortListener = () =>
      this.core.cancel(this, RpcError.from(signal.reason ?? abortError(), Code.CANCELLED));
    signal.addEventListener('abort', this.#abortListener, { once: true });
  }

  unlistenAbort(): void {
    if (this.#abortListener) this.signal?.removeEventListener('abort', this.#abortListener);
  }

  expire(): void {
    this.deadlineKey = -1;
    // No CANCEL: the server holds the same deadline (sent as timeoutMs) and
    // expires the call itself, so it records DEADLINE_EXCEEDED, not a cancel.
    this.core.expire(this);
  }
}

/**
 * The wire `timeoutMs` of a call sent at `at` with monotonic deadline
 * `deadlineAt`: the remaining budget as an integer; never 0 (which means "no
 * deadline"), so a budget under 1 ms is sent as 1. Callers check expiry first.
 */
export function wireTimeout(deadlineAt: number, at: number): number {
  return Math.max(1, Math.ceil(deadlineAt - at));
}

/** The request object interceptors see; `timeoutMs` is a view of `deadlineAt`. */
class Request implements ClientRequest {
  readonly kind: string;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly descriptor: MethodInfo['descriptor'];
  constructor(
    info: MethodInfo,
    public message: unknown,
    public metadata: Metadata,
    public deadlineAt: number,
    public signal: AbortSignal | undefined,
    public waitForReady: boolean,
    readonly contextValues: ContextValues,
    readonly wire: Wire,
  ) {
    this.kind = info.descriptor.kind;
    this.service = info.service;
    this.method = info.method;
    this.path = info.path;
    this.descriptor = info.descriptor;
  }

  get timeoutMs(): number | undefined {
    return Number.isFinite(this.deadlineAt) ? Math.max(0, this.deadlineAt - now()) : undefined;
  }

  set timeoutMs(value: number | undefined) {
    this.deadlineAt =
      value === undefined || !Number.isFinite(value)
        ? Number.POSITIVE_INFINITY
        : now() + Math.max(0, value);
  }
}

function abortError(): Error {
  const e = new Error('the call was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Counters of a client. */
export interface ClientStats {
  /** Calls in flight now. */
  inFlight: number;
  /** Calls waiting for a slot or a connection now. */
  queued: number;
  /** Calls started (requests sent). */
  started: number;
  /** Envelopes that could not be decoded or made no sense. */
  protocolErrors: number;
  /** Envelopes for calls no longer known (late answers after a cancel or deadline); ignored. */
  lateEnvelopes: number;
  /**
   * Envelopes ignored under the forward-compatibility rule: an unknown kind,
   * a call id outside uint32, or a kind the call has no use for (DATA on a unary call).
   */
  ignoredEnvelopes: number;
  /** Listener exceptions swallowed. */
  listenerErrors: number;
}

interface Waiter {
  resolve(): void;
  reject(error: RpcError): void;
}

/**
 * How long calls of a dropped connection wait for answers already received
 * before they fail with UNAVAILABLE (ms). Small against any deadline.
 */
const DISCONNECT_GRACE_MS = 50;

const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialBackoffMs: 10,
  maxBackoffMs: 1000,
  retryableCodes: [Code.UNAVAILABLE],
};

/** The client engine. Method kinds use it; users see the typed client from `createClient`. */
export class ClientEngine implements ClientCore {
  readonly codec: Codec;
  readonly listeners: Listeners;
  readonly deadlines = new DeadlineQueue();
  readonly defaultTimeoutMs: number;
  readonly defaultMetadata: Metadata | undefined;
  readonly waitForReady: boolean;
  readonly retry: Required<RetryPolicy> | undefined;
  readonly #interceptors: readonly ClientInterceptor[];
  readonly #conns: Connection[] = [];
  readonly #calls = new Map<number, ClientCallRecord>();
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #balancing: LoadBalancing;
  readonly #slotWaiters: Waiter[] = [];
  readonly #connWaiters = new Set<Waiter>();
  #nextId = 0;
  #rr = 0;
  #inFlight = 0;
  #closed = false;
  readonly #stats = { started: 0, protocolErrors: 0, lateEnvelopes: 0, ignoredEnvelopes: 0 };

  constructor(options: ClientCoreOptions) {
    if (options.endpoints.length === 0)
      throw new TypeError('createClient needs at least one endpoint');
    this.codec = options.codec;
    this.listeners = new Listeners(options.listeners);
    this.defaultTimeoutMs = options.timeoutMs ?? 30_000;
    this.defaultMetadata = isEmptyMetadata(options.metadata) ? undefined : options.metadata;
    this.waitForReady = options.waitForReady ?? false;
    this.retry = options.retry === false ? undefined : { ...DEFAULT_RETRY, ...options.retry };
    this.#interceptors = options.interceptors ?? [];
    this.#maxInFlight = options.maxInFlight ?? 1024;
    this.#maxQueued = options.maxQueuedCalls ?? 16_384;
    this.#balancing = options.loadBalancing ?? 'least-outstanding';
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    for (const endpoint of options.endpoints) {
      const conn = new Connection(endpoint, options.transport(endpoint));
      this.#conns.push(conn);
      this.#watch(conn, connectTimeoutMs);
      void this.#read(conn);
    }
  }

  /** True when client interceptors are configured (method kinds may skip the chain otherwise). */
  get intercepted(): boolean {
    return this.#interceptors.length > 0;
  }

  /** Composes the client interceptors around `terminal` (once per method). */
  chain(terminal: ClientNext): ClientNext {
    let next = terminal;
    for (let i = this.#interceptors.length - 1; i >= 0; i--)
      next = (this.#interceptors[i] as ClientInterceptor)(next);
    return next;
  }

  /**
   * Builds the request object interceptors see, resolving the time budget
   * from the call options, the parent context and the client default.
   */
  request(info: MethodInfo, message: unknown, options: CallOptions | undefined): ClientRequest {
    let timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    let signal = options?.signal;
    if (options?.deadline !== undefined)
      timeoutMs = Math.min(timeoutMs, options.deadline - Date.now());
    const parent = options?.parent;
    if (parent) {
      if (Number.isFinite(parent.deadline))
        timeoutMs = Math.min(timeoutMs, parent.deadline - Date.now());
      signal = signal ? AbortSignal.any([signal, parent.signal]) : parent.signal;
    }
    let metadata: Metadata;
    if (this.defaultMetadata)
      metadata = options?.metadata
        ? { ...this.defaultMetadata, ...options.metadata }
        : { ...this.defaultMetadata };
    else metadata = options?.metadata ? { ...options.metadata } : {};
    return new Request(
      info,
      message,
      metadata,
      Number.isFinite(timeoutMs) ? now() + Math.max(0, timeoutMs) : Number.POSITIVE_INFINITY,
      signal,
      options?.waitForReady ?? this.waitForReady,
      options?.contextValues ?? createContextValues(),
      new Wire(),
    );
  }

  /** Absolute monotonic deadline of a request (`Infinity` without one). */
  deadlineOf(request: ClientRequest): number {
    const at = request.deadlineAt;
    if (typeof at === 'number' && !Number.isNaN(at)) return at;
    // A request built by hand (not by this client) may carry only a budget.
    const ms = request.timeoutMs;
    return typeof ms === 'number' && Number.isFinite(ms) ? now() + ms : Number.POSITIVE_INFINITY;
  }

  /**
   * Starts a call: waits for an in-flight slot and a usable connection (fast
   * path: neither waits), registers the call, sends its REQUEST. Rejects with
   * `DEADLINE_EXCEEDED`, `CANCELLED`, `UNAVAILABLE` or `RESOURCE_EXHAUSTED`
   * when it cannot start.
   */
  start(
    request: ClientRequest,
    handler: CallHandler,
    deadlineAt: number,
    payload: unknown,
  ): ClientCallRecord | Promise<ClientCallRecord> {
    const error = this.#precheck(request, deadlineAt);
    if (error) return Promise.reject(error);
    if (this.#inFlight < this.#maxInFlight && this.#slotWaiters.length === 0) {
      const conn = this.#pick();
      if (conn) {
        this.#inFlight++;
        return this.#launch(request, handler, deadlineAt, payload, conn);
      }
    }
    return this.#startSlow(request, handler, deadlineAt, payload);
  }

  async #startSlow(
    request: ClientRequest,
    handler: CallHandler,
    deadlineAt: number,
    payload: unknown,
  ): Promise<ClientCallRecord> {
    if (this.#inFlight >= this.#maxInFlight || this.#slotWaiters.length > 0) {
      await this.#wait(this.#slotWaiters, request, deadlineAt, 'waiting for an in-flight slot');
    } else {
      this.#inFlight++;
    }
    // The slot is ours from here: give it back if no connection comes.
    try {
      for (;;) {
        const error = this.#precheck(request, deadlineAt);
        if (error) throw error;
        const conn = this.#pick();
        if (conn) return this.#launch(request, handler, deadlineAt, payload, conn);
        if (!request.waitForReady && !this.#conns.some((c) => c.state === 'connecting')) {
          throw new RpcError(Code.UNAVAILABLE, `no connected endpoint (${this.#describe()})`);
        }
        await this.#wait(this.#connWaiters, request, deadlineAt, 'waiting for a connection');
      }
    } catch (e) {
      this.#releaseSlot();
      throw e;
    }
  }

  #precheck(request: ClientRequest, deadlineAt: number): RpcError | undefined {
    if (this.#closed) return new RpcError(Code.CANCELLED, 'client is closed');
    if (request.signal?.aborted)
      return RpcError.from(request.signal.reason ?? abortError(), Code.CANCELLED);
    if (deadlineAt <= now())
      return new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
    return undefined;
  }

  #wait(
    queue: Waiter[] | Set<Waiter>,
    request: ClientRequest,
    deadlineAt: number,
    what: string,
  ): Promise<void> {
    if (this.#slotWaiters.length + this.#connWaiters.size >= this.#maxQueued) {
      return Promise.reject(
        new RpcError(
          Code.RESOURCE_EXHAUSTED,
          `client queue full (${this.#maxQueued} calls waiting)`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = request.signal;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (Array.isArray(queue)) {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
        } else queue.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = () =>
        waiter.reject(RpcError.from(signal?.reason ?? abortError(), Code.CANCELLED));
      if (Number.isFinite(deadlineAt)) {
        timer = setTimeout(
          () => waiter.reject(new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded ${what}`)),
          Math.max(0, deadlineAt - now()),
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Array.isArray(queue)) queue.push(waiter);
      else queue.add(waiter);
    });
  }

  #launch(
    request: ClientRequest,
    handler: CallHandler,
    deadlineAt: number,
    payload: unknown,
    conn: Connection,
  ): ClientCallRecord {
    let id = ++this.#nextId;
    if (id > MAX_CALL_ID) {
      this.#nextId = 1;
      id = 1;
    }
    const wire = request.wire instanceof Wire ? request.wire : undefined;
    if (wire) wire.endpoint = conn.endpoint;
    const call = new ClientCallRecord(
      this,
      id,
      conn,
      request.path,
      handler,
      request.signal,
      now(),
      wire,
    );
    this.#calls.set(id, call);
    conn.calls.add(call);
    conn.outstanding++;
    this.#stats.started++;
    let timeoutMs = 0;
    if (Number.isFinite(deadlineAt)) {
      call.deadlineKey = this.deadlines.add(call, deadlineAt);
      timeoutMs = wireTimeout(deadlineAt, now());
    }
    call.listenAbort();
    const metadata = isEmptyMetadata(request.metadata) ? undefined : request.metadata;
    if (this.listeners.hasStart) {
      this.listeners.start({
        side: 'client',
        path: request.path,
        callId: id,
        peer: conn.endpoint,
        metadata: request.metadata,
      });
    }
    if (this.listeners.hasMessage) {
      this.listeners.message({
        side: 'client',
        direction: 'out',
        kind: 'request',
        path: request.path,
        callId: id,
        peer: conn.endpoint,
        metadata: request.metadata,
        message: payload,
      });
    }
    const mdProblem = metadataProblem(metadata);
    if (mdProblem) {
      // Refused before sending, with the code the server would answer.
      this.#end(call, new RpcError(mdProblem.code, mdProblem.message));
      return call;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest(
        this.codec,
        id,
        request.path,
        timeoutMs,
        metadata,
        payload,
        request.descriptor.kind,
      );
    } catch (e) {
      this.#end(call, RpcError.from(e, Code.INVALID_ARGUMENT));
      return call;
    }
    conn.transport.send(bytes).then(undefined, (e: unknown) => this.#sendFailed(call, e));
    return call;
  }

  #sendFailed(call: ClientCallRecord, e: unknown): void {
    if (call.done) return;
    const code = (e as { code?: string }).code;
    const rpcCode =
      code === 'TOO_LARGE'
        ? Code.RESOURCE_EXHAUSTED
        : code === 'CLOSED'
          ? Code.CANCELLED
          : Code.UNAVAILABLE;
    this.#end(
      call,
      new RpcError(rpcCode, `request not sent: ${(e as Error).message}`, { cause: e }),
    );
  }

  /** Sends an envelope of a call, reporting a failed send as the call's end. */
  send(call: ClientCallRecord, bytes: Uint8Array): Promise<void> {
    return call.send(bytes).catch((e: unknown) => this.#sendFailed(call, e));
  }

  /**
   * Ends a call from the client side: tells the server (CANCEL, best effort)
   * and fails the call with `error`.
   */
  cancel(call: ClientCallRecord, error: RpcError): void {
    if (call.done) return;
    try {
      call.send(encodeCancel(this.codec, call.id)).catch(() => {});
      if (this.listeners.hasMessage) {
        this.listeners.message({
          side: 'client',
          direction: 'out',
          kind: 'cancel',
          path: call.path,
          callId: call.id,
          peer: call.endpoint,
          metadata: undefined,
          message: undefined,
        });
      }
    } catch {
      // The transport is closing: the server will see the connection go.
    }
    this.#end(call, error);
  }

  /** A method kind got an envelope it has no use for: ignored and counted, never fatal to the call. */
  ignored(): void {
    this.#stats.ignoredEnvelopes++;
  }

  /** The call's deadline passed: fail it with DEADLINE_EXCEEDED (the server expires its side on its own). */
  expire(call: ClientCallRecord): void {
    this.#end(call, new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded'));
  }

  /** Ends a call: with `error` the handler's onError runs; without, the handler already settled. */
  finish(call: ClientCallRecord, error?: RpcError): void {
    this.#end(call, error, false);
  }

  #end(call: ClientCallRecord, error: RpcError | undefined, notify = true): void {
    if (call.done) return;
    call.done = true;
    this.#calls.delete(call.id);
    call.conn.calls.delete(call);
    call.conn.outstanding--;
    if (call.deadlineKey >= 0) this.deadlines.remove(call, call.deadlineKey);
    call.unlistenAbort();
    this.#releaseSlot();
    if (this.listeners.hasEnd) {
      this.listeners.end({
        side: 'client',
        path: call.path,
        callId: call.id,
        peer: call.endpoint,
        code: error ? error.code : Code.OK,
        error,
        durationMs: now() - call.startedAt,
      });
    }
    if (error && notify) call.handler.onError(error, call);
  }

  #releaseSlot(): void {
    const waiter = this.#slotWaiters.shift();
    if (waiter) waiter.resolve();
    else this.#inFlight--;
  }

  #pick(): Connection | undefined {
    const conns = this.#conns;
    const n = conns.length;
    if (n === 1) return conns[0]?.usable ? conns[0] : undefined;
    const start = this.#rr++ % n;
    let best: Connection | undefined;
    for (let k = 0; k < n; k++) {
      const c = conns[(start + k) % n] as Connection;
      if (!c.usable) continue;
      if (this.#balancing === 'round-robin') return c;
      if (!best || c.outstanding < best.outstanding) best = c;
    }
    return best;
  }

  #describe(): string {
    return this.#conns
      .map(
        (c) =>
          `${c.endpoint}: ${c.draining ? 'draining' : c.state}${c.reason ? ` (${c.reason})` : ''}`,
      )
      .join(', ');
  }

  #watch(conn: Connection, connectTimeoutMs: number): void {
    const t = conn.transport;
    conn.connectTimer = setTimeout(() => {
      conn.connectTimer = undefined;
      if (conn.state === 'connecting') {
        conn.state = 'failing';
        conn.reason = `not connected after ${connectTimeoutMs} ms`;
        this.#wakeConnWaiters();
      }
    }, connectTimeoutMs);
    conn.connectTimer.unref?.();
    const up = () => {
      if (conn.connectTimer) clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
      conn.state = 'ready';
      conn.reason = '';
      conn.draining = false;
      this.#wakeConnWaiters();
    };
    t.on('connected', up);
    t.on('disconnected', (e) => {
      if (e.reason === 'unresolved') {
        // Calls fail fast (UNAVAILABLE naming the host) instead of waiting out connectTimeoutMs.
        conn.state = 'failing';
        conn.reason = `host of ${conn.endpoint} does not resolve`;
        this.#wakeConnWaiters();
        return;
      }
      if (conn.state === 'connecting' && e.reason !== 'closed') return;
      conn.state = 'failing';
      conn.reason = `connection lost: ${e.reason}`;
      const error = new RpcError(
        Code.UNAVAILABLE,
        `connection to ${conn.endpoint} lost (${e.reason})`,
      );
      this.#wakeConnWaiters();
      // Answers the server sent just before the connection went (a graceful
      // close flushes them, then closes) may still sit in the socket's queue,
      // behind this event: let the reader deliver them, then fail the rest.
      const calls = [...conn.calls];
      setTimeout(() => {
        for (const call of calls) if (!call.done) this.#end(call, error);
      }, DISCONNECT_GRACE_MS);
    });
    t.on('handshakeFailed', (e) => {
      conn.state = 'failing';
      conn.reason = `handshake failed: ${e.reason}`;
      const error = new RpcError(
        Code.UNAVAILABLE,
        `handshake with ${conn.endpoint} failed: ${e.reason}`,
      );
      for (const call of [...conn.calls]) this.#end(call, error);
      this.#wakeConnWaiters();
    });
    if (t.connected) up();
  }

  /** Wakes calls waiting for a connection so they re-check (one may now be up, or all failing). */
  #wakeConnWaiters(): void {
    for (const w of [...this.#connWaiters]) w.resolve();
  }

  async #read(conn: Connection): Promise<void> {
    try {
      const t = conn.transport;
      // The rest of a burst is handled synchronously where the transport can.
      const drain = t.drainBuffered
        ? (bytes: Uint8Array) => this.#onMessage(conn, bytes)
        : undefined;
      for await (const bytes of t) {
        this.#onMessage(conn, bytes);
        if (drain) t.drainBuffered?.(drain);
      }
    } catch {
      // The transport ended with an error: its 'disconnected' event fails the calls.
    }
  }

  #onMessage(conn: Connection, bytes: Uint8Array): void {
    let env: Envelope;
    try {
      env = this.codec.decode(bytes) as Envelope;
    } catch (e) {
      this.#stats.protocolErrors++;
      const header = peekHeader(bytes);
      const call = header ? this.#calls.get(header.id) : undefined;
      if (call && call.conn === conn) {
        this.#end(
          call,
          new RpcError(Code.INTERNAL, `malformed response: ${(e as Error).message}`, { cause: e }),
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
      const id = Array.isArray(env) ? env[2] : undefined;
      const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
      if (call && call.conn === conn) {
        const code = problem.version ? Code.FAILED_PRECONDITION : Code.INTERNAL;
        this.#end(call, new RpcError(code, problem.message));
      }
      return;
    }
    const kind = env[1] as number;
    if (kind === Kind.GOAWAY) {
      conn.draining = true;
      return;
    }
    const call = this.#calls.get(env[2] as number);
    if (!call || call.conn !== conn) {
      this.#stats.lateEnvelopes++;
      return;
    }
    if (this.listeners.hasMessage) this.#emitIn(call, env);
    if (env[1] === Kind.DATA) call.wire?.notify('in', env[3]);
    call.handler.onEnvelope(env, call, bytes.byteLength);
  }

  #emitIn(call: ClientCallRecord, env: Envelope): void {
    const kind = env[1] as number;
    this.listeners.message({
      side: 'client',
      direction: 'in',
      kind: kindName(kind),
      path: call.path,
      callId: call.id,
      peer: call.endpoint,
      metadata: (kind === Kind.RESPONSE || kind === Kind.END
        ? env[3]
        : kind === Kind.ERROR
          ? env[6]
          : undefined) as Metadata | undefined,
      message:
        kind === Kind.RESPONSE
          ? env[4]
          : kind === Kind.DATA
            ? env[3]
            : kind === Kind.ERROR
              ? { code: env[3], message: env[4] }
              : kind === Kind.CREDIT
                ? { messages: env[3], bytes: env[4] }
                : undefined,
    });
  }

  /** Tells listeners about an envelope a method kind sends (DATA, END, CREDIT). */
  emitOut(call: ClientCallRecord, kind: number, message: unknown, metadata?: Metadata): void {
    if (kind === Kind.DATA) call.wire?.notify('out', message);
    if (!this.listeners.hasMessage) return;
    this.listeners.message({
      side: 'client',
      direction: 'out',
      kind: kindName(kind),
      path: call.path,
      callId: call.id,
      peer: call.endpoint,
      metadata,
      message,
    });
  }

  /** Counters. */
  stats(): ClientStats {
    return {
      inFlight: this.#calls.size,
      queued: this.#slotWaiters.length + this.#connWaiters.size,
      started: this.#stats.started,
      protocolErrors: this.#stats.protocolErrors,
      lateEnvelopes: this.#stats.lateEnvelopes,
      ignoredEnvelopes: this.#stats.ignoredEnvelopes,
      listenerErrors: this.listeners.errors,
    };
  }

  /** Per-endpoint state, for diagnostics and tests. */
  endpoints(): Array<{ endpoint: string; state: string; outstanding: number }> {
    return this.#conns.map((c) => ({
      endpoint: c.endpoint,
      state: c.draining ? 'draining' : c.state,
      outstanding: c.outstanding,
    }));
  }

  /** Fails pending calls with `CANCELLED` and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new RpcError(Code.CANCELLED, 'client closed');
    for (const call of [...this.#calls.values()]) this.cancel(call, error);
    for (const w of [...this.#slotWaiters]) w.reject(error);
    for (const w of [...this.#connWaiters]) w.reject(error);
    this.deadlines.clear();
    for (const c of this.#conns) if (c.connectTimer) clearTimeout(c.connectTimer);
    await Promise.all(this.#conns.map((c) => c.transport.close()));
  }
}
