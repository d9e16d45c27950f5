/**
 * The server engine shared by every method kind: the method table, the
 * interceptor chains and the authorize hook, the end of every call
 * (outcome, counters, events), and graceful shutdown. Inbound envelopes are
 * read in {@link ServerDispatch}, the concurrency limit is
 * {@link ServerAdmission}, answers are {@link ServerReplies}, one call is a
 * {@link ServerCallRecord}. Method kinds serve a call through
 * `MethodAdapter.serve` and end it with `respond` / `fail` / `end`.
 */

import type { Logger } from '@xsmb/base';
import type { Codec } from '@xsmb/codec';
import type { ServerTransport } from '@xsmb/transport';
import type { Authorize, ServerInterceptor, ServerNext, ServerRequest } from './call.js';
import { CallEvents } from './call-events.js';
import { Code, codeName } from './code.js';
import { DeadlineQueue, now } from './deadline-queue.js';
import type { RegisteredMethod, ServerCore } from './engine.js';
import type { EngineOptions } from './engine-options.js';
import { encodeGoaway, Kind } from './envelope.js';
import { composeChain } from './interceptor-chain.js';
import type { Metadata } from './metadata.js';
import { RpcError } from './rpc-error.js';
import { RpcLog } from './rpc-log.js';
import { ServerAdmission } from './server-admission.js';
import type { ServerCallRecord } from './server-call.js';
import { type DispatchHost, ServerDispatch } from './server-dispatch.js';
import { ServerReplies } from './server-replies.js';
import type { MethodInfo } from './service.js';

/** Options of the server engine (see `createServer`). */
export interface ServerCoreOptions extends EngineOptions<ServerInterceptor> {
  /** The listening transport. */
  transport: ServerTransport;
  /** Handlers running at once; further calls queue. Default `1024`. */
  maxConcurrency?: number;
  /** Calls that may queue behind `maxConcurrency`; beyond it `RESOURCE_EXHAUSTED`. Default `4096`. */
  maxQueuedCalls?: number;
  /** The retry hint sent in `xsmb-retry-after-ms` with `RESOURCE_EXHAUSTED`. Default `50`. */
  retryAfterMs?: number;
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
  /**
   * Where the server logs rare events (a pino logger fits; see `Logger`):
   * listening, malformed and ignored envelopes (the first few, then
   * summaries), drain start and end. `createServer` also gives it to the
   * default transport, which logs connections and refused handshakes. See
   * the README's "Logging". Default: silent.
   */
  logger?: Logger;
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

/** The server engine. Users see it through `createServer`. */
export class ServerEngine implements ServerCore, DispatchHost {
  readonly codec: Codec;
  readonly transport: ServerTransport;
  readonly events: CallEvents;
  readonly replies: ServerReplies;
  readonly admission: ServerAdmission;
  readonly deadlines = new DeadlineQueue();
  readonly methods = new Map<string, RegisteredMethod>();
  readonly services = new Map<string, MethodInfo[]>();
  readonly retryAfter: string;
  readonly log: RpcLog;
  health: HealthStatus = 'SERVING';
  draining = false;
  readonly #interceptors: readonly ServerInterceptor[];
  readonly #authorize: Authorize | undefined;
  readonly #chains = new Map<RegisteredMethod, ServerNext>();
  readonly #dispatch: ServerDispatch;
  readonly #failedByCode: Record<string, number> = {};
  #failed = 0;
  #started = 0;

  constructor(options: ServerCoreOptions) {
    this.codec = options.codec;
    this.transport = options.transport;
    this.events = new CallEvents('server', options.listeners);
    this.#interceptors = options.interceptors ?? [];
    this.#authorize = options.authorize;
    this.retryAfter = String(options.retryAfterMs ?? 50);
    this.log = new RpcLog(options.logger, 'rpc-server');
    this.replies = new ServerReplies(
      this.codec,
      this.transport,
      this.events,
      options.exposeInternalErrors ?? false,
      (code) => this.#countFailure(code),
    );
    this.admission = new ServerAdmission(
      options.maxConcurrency ?? 1024,
      options.maxQueuedCalls ?? 4096,
      (call) => this.#run(call),
    );
    this.#dispatch = new ServerDispatch(this);
    void this.#dispatch.read();
  }

  /** The endpoints the server listens on. */
  get endpoints(): readonly string[] {
    return this.transport.endpoints;
  }

  /** The request object interceptors and the authorize hook see. */
  requestOf(call: ServerCallRecord, message: unknown): ServerRequest {
    const ctx = call.ctx;
    return {
      kind: call.registered.descriptor.kind,
      service: call.service,
      method: call.method,
      path: call.path,
      descriptor: call.registered.descriptor,
      message,
      ctx,
      contextValues: ctx.contextValues,
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
    return composeChain(this.#interceptors, terminal);
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
      chain = composeChain(this.#interceptors, terminal);
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

  #run(call: ServerCallRecord): void {
    this.#started++;
    try {
      call.registered.descriptor.adapter.serve(this, call, call.registered.handler, call.payload);
    } catch (e) {
      call.fail(e);
    }
  }

  /** Called exactly once per call when it is over (answered, failed, or abandoned before it ran). */
  settle(call: ServerCallRecord): void {
    if (!this.#dispatch.delete(call)) return;
    if (call.deadlineKey >= 0) this.deadlines.remove(call, call.deadlineKey);
    call.done = true;
    // Why it was abandoned (cancel, deadline, shutdown), else the error it failed with.
    const error = call.cancelled ? (call.signal.reason as RpcError) : call.error;
    if (error) this.#countFailure(error.code);
    this.events.ended(call, error, call.startedAt, now());
    this.admission.settled(call);
  }

  #countFailure(code: Code): void {
    this.#failed++;
    const name = codeName(code);
    this.#failedByCode[name] = (this.#failedByCode[name] ?? 0) + 1;
  }

  /** Tells listeners and observers about an envelope a method kind sends (DATA, END, CREDIT). */
  emitOut(call: ServerCallRecord, kind: number, message: unknown, metadata?: Metadata): void {
    if (kind === Kind.DATA) call.observed('out', message);
    this.events.message(call, 'out', kind, metadata, message);
  }

  stats(): ServerStats {
    const queued = this.admission.queued;
    return {
      active: this.#dispatch.size - queued,
      queued,
      started: this.#started,
      rejected: this.#dispatch.stats.rejected,
      expiredInQueue: this.admission.expiredInQueue,
      cancelled: this.#dispatch.stats.cancelled,
      protocolErrors: this.#dispatch.stats.protocolErrors,
      sendFailures: this.replies.sendFailures,
      peerLost: this.#dispatch.stats.peerLost,
      ignoredEnvelopes: this.#dispatch.stats.ignoredEnvelopes,
      listenerErrors: this.events.errors,
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
    if (this.draining) return;
    this.draining = true;
    this.health = 'DRAINING';
    let goaway: Uint8Array | undefined;
    try {
      goaway = encodeGoaway(this.codec, 'server shutting down');
    } catch {
      goaway = undefined;
    }
    if (goaway)
      for (const peer of this.#dispatch.peers) this.transport.send(peer, goaway).catch(() => {});
    const { logger } = this.log;
    logger.info(
      { event: 'drain', graceMs, clients: this.#dispatch.peers.size, calls: this.#dispatch.size },
      'draining: GOAWAY sent, new calls refused',
    );
    await this.admission.idle(graceMs);
    const error = new RpcError(Code.UNAVAILABLE, 'server shut down before the call finished');
    const left = this.#dispatch.all();
    for (const call of left) call.abandon(error, true);
    this.deadlines.clear();
    this.health = 'NOT_SERVING';
    await this.transport.close();
    this.log.flush();
    logger.info({ event: 'closed', cancelled: left.length }, 'server closed');
  }
}
