/**
 * The client engine shared by every method kind: it starts calls (admission,
 * connection choice, the REQUEST), ends them (answer, deadline, abort,
 * disconnect, close) and counts. Connections and discovery live in
 * {@link EndpointFollowing} (endpoint-following.ts), admission in {@link Admission}, ids and inbound envelopes in
 * {@link ClientDispatch}, requests and deadlines in client-request.ts.
 * Method kinds (unary here, streams in `@xsmb/stream`) drive calls through
 * {@link ClientEngine.start} and a `CallHandler`.
 */

import type { Codec } from '@xsmb/codec';
import { Admission } from './admission.js';
import type { CallOptions, ClientInterceptor, ClientNext, ClientRequest } from './call.js';
import { CallEvents } from './call-events.js';
import { Wire } from './call-wire.js';
import { type ClientCallOwner, ClientCallRecord } from './client-call.js';
import { ClientDispatch } from './client-dispatch.js';
import { type ClientCoreOptions, type ClientStats, DEFAULT_RETRY } from './client-options.js';
import { buildRequest, deadlineOf, type RequestDefaults, wireTimeout } from './client-request.js';
import { Code } from './code.js';
import type { Connection, ConnectionSet } from './connections.js';
import { DeadlineQueue, now } from './deadline-queue.js';
import { EndpointFollowing } from './endpoint-following.js';
import type { CallHandler, ClientCore, RetryPolicy } from './engine.js';
import { encodeCancel, encodeRequest, Kind } from './envelope.js';
import { composeChain } from './interceptor-chain.js';
import { isEmptyMetadata, type Metadata, metadataProblem } from './metadata.js';
import { unwrapObserved } from './observed-messages.js';
import { RpcError } from './rpc-error.js';
import { RpcLog } from './rpc-log.js';
import type { MethodInfo } from './service.js';

function abortError(): Error {
  const e = new Error('the call was cancelled');
  e.name = 'AbortError';
  return e;
}

function cancelled(signal: AbortSignal): RpcError {
  return RpcError.from(signal.reason ?? abortError(), Code.CANCELLED);
}

/** The client engine. Method kinds use it; users see the typed client from `createClient`. */
export class ClientEngine implements ClientCore, ClientCallOwner {
  readonly codec: Codec;
  readonly events: CallEvents;
  readonly deadlines = new DeadlineQueue();
  readonly retry: Required<RetryPolicy> | undefined;
  readonly #defaults: RequestDefaults;
  readonly #interceptors: readonly ClientInterceptor[];
  readonly #following: EndpointFollowing;
  readonly #conns: ConnectionSet<ClientCallRecord>;
  readonly #admission: Admission<ClientCallRecord>;
  readonly #dispatch: ClientDispatch;
  #started = 0;
  #closed = false;

  constructor(options: ClientCoreOptions) {
    if (options.endpoints.length === 0 && options.resolver === undefined)
      throw new TypeError('createClient needs at least one endpoint or a resolver');
    this.codec = options.codec;
    this.events = new CallEvents('client', options.listeners);
    this.#defaults = {
      timeoutMs: options.timeoutMs ?? 30_000,
      metadata: isEmptyMetadata(options.metadata) ? undefined : options.metadata,
      waitForReady: options.waitForReady ?? false,
    };
    this.retry = options.retry === false ? undefined : { ...DEFAULT_RETRY, ...options.retry };
    this.#interceptors = options.interceptors ?? [];
    this.#admission = new Admission(options.maxInFlight ?? 1024, options.maxQueuedCalls ?? 16_384);
    this.#dispatch = new ClientDispatch(
      this.codec,
      this.events,
      (call, error) => this.#end(call, error),
      new RpcLog(options.logger, 'rpc-client'),
    );
    this.#following = new EndpointFollowing(options, {
      changed: () => this.#admission.connectionsChanged(),
      fail: (call, error) => this.#end(call, error),
      opened: (conn) => void this.#dispatch.read(conn),
      settled: () => this.#admission.connectionsChanged(),
      listenerError: () => this.events.listeners.errors++,
    });
    this.#conns = this.#following.conns;
  }

  /** True when client interceptors are configured (method kinds may skip the chain otherwise). */
  get intercepted(): boolean {
    return this.#interceptors.length > 0;
  }

  /** Composes the client interceptors around `terminal` (once per method). */
  chain(terminal: ClientNext): ClientNext {
    if (this.#interceptors.length === 0) return terminal;
    return composeChain(this.#interceptors, (request) => terminal(unwrapObserved(request)));
  }

  /** The request interceptors see, with the call's one deadline. */
  request(info: MethodInfo, message: unknown, options: CallOptions | undefined): ClientRequest {
    return buildRequest(info, message, options, this.#defaults);
  }

  /** Absolute monotonic deadline of a request (`Infinity` without one). */
  deadlineOf(request: ClientRequest): number {
    return deadlineOf(request);
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
    const error = this.#check(request.signal, deadlineAt);
    if (error) return Promise.reject(error);
    const call = new ClientCallRecord(
      this,
      request.path,
      handler,
      deadlineAt,
      request.signal,
      request.wire instanceof Wire ? request.wire : undefined,
    );
    if (Number.isFinite(deadlineAt)) call.deadlineKey = this.deadlines.add(call, deadlineAt);
    if (this.#admission.tryTake()) {
      call.holdsSlot = true;
      const conn = this.#conns.pick();
      if (conn) return this.#launch(call, request, payload, conn);
    }
    return this.#startSlow(call, request, payload);
  }

  async #startSlow(
    call: ClientCallRecord,
    request: ClientRequest,
    payload: unknown,
  ): Promise<ClientCallRecord> {
    try {
      if (!call.holdsSlot) {
        await this.#wait(call, 'waiting for an in-flight slot');
        // The slot was handed over by release().
        call.holdsSlot = true;
      }
      for (;;) {
        const error = this.#check(call.signal, call.deadlineAt);
        if (error) throw error;
        const conn = this.#conns.pick();
        if (conn) return this.#launch(call, request, payload, conn);
        if (!request.waitForReady && !this.#following.connecting)
          throw this.#following.unavailable();
        await this.#wait(call, 'waiting for a connection');
      }
    } catch (e) {
      this.#drop(call);
      throw e;
    }
  }

  /** Why a call cannot start or go on now, if so: the one check of closed, aborted, deadline. */
  #check(signal: AbortSignal | undefined, deadlineAt: number): RpcError | undefined {
    if (this.#closed) return new RpcError(Code.CANCELLED, 'client is closed');
    if (signal?.aborted) return cancelled(signal);
    if (deadlineAt <= now())
      return new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded before the call started');
    return undefined;
  }

  #wait(call: ClientCallRecord, what: string): Promise<void> {
    const admission = this.#admission;
    if (admission.full) {
      return Promise.reject(
        new RpcError(
          Code.RESOURCE_EXHAUSTED,
          `client queue full (${admission.maxQueued} calls waiting)`,
        ),
      );
    }
    const waiting = call.wait(what);
    if (call.holdsSlot) admission.waitForConnection(call);
    else admission.waitForSlot(call);
    return waiting;
  }

  /** A call that never started: out of the queues and the deadline queue, its slot back. */
  #drop(call: ClientCallRecord): void {
    if (call.done) return;
    call.done = true;
    this.#admission.leave(call);
    if (call.deadlineKey >= 0) this.deadlines.remove(call, call.deadlineKey);
    call.unlistenAbort();
    if (call.holdsSlot) this.#releaseSlot(call);
  }

  expired(call: ClientCallRecord): void {
    const what = call.waitingFor;
    if (what !== undefined) {
      this.#admission.leave(call);
      call.stopWaiting(new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded ${what}`));
      return;
    }
    // No CANCEL: the server holds the same deadline (sent as timeoutMs) and
    // expires the call itself, so it records DEADLINE_EXCEEDED, not a cancel.
    if (call.sent) this.#end(call, new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded'));
  }

  aborted(call: ClientCallRecord): void {
    const error = cancelled(call.signal as AbortSignal);
    if (call.waitingFor !== undefined) {
      this.#admission.leave(call);
      call.stopWaiting(error);
    } else if (call.sent) this.cancel(call, error);
  }

  #launch(
    call: ClientCallRecord,
    request: ClientRequest,
    payload: unknown,
    conn: Connection<ClientCallRecord>,
  ): ClientCallRecord {
    call.conn = conn;
    call.startedAt = now();
    if (call.wire) call.wire.endpoint = conn.endpoint;
    this.#dispatch.add(call);
    conn.calls.add(call);
    conn.outstanding++;
    this.#started++;
    const timeoutMs = Number.isFinite(call.deadlineAt)
      ? wireTimeout(call.deadlineAt, call.startedAt)
      : 0;
    const metadata = isEmptyMetadata(request.metadata) ? undefined : request.metadata;
    this.events.started(call, request.metadata);
    this.events.message(call, 'out', Kind.REQUEST, request.metadata, payload);
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
        call.id,
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
      this.events.message(call, 'out', Kind.CANCEL, undefined, undefined);
    } catch {
      // The transport is closing: the server will see the connection go.
    }
    this.#end(call, error);
  }

  /** A method kind got an envelope it has no use for: ignored and counted, never fatal to the call. */
  ignored(): void {
    this.#dispatch.ignoredEnvelopes++;
  }

  /** Ends a call: with `error` the handler's onError runs; without, the handler already settled. */
  finish(call: ClientCallRecord, error?: RpcError): void {
    this.#end(call, error, false);
  }

  #end(call: ClientCallRecord, error: RpcError | undefined, notify = true): void {
    if (call.done) return;
    call.done = true;
    this.#dispatch.delete(call);
    const conn = call.conn;
    conn.calls.delete(call);
    conn.outstanding--;
    if (conn.removed) this.#conns.drained(conn);
    if (call.deadlineKey >= 0) this.deadlines.remove(call, call.deadlineKey);
    call.unlistenAbort();
    this.#releaseSlot(call);
    this.events.ended(call, error, call.startedAt, now());
    if (error && notify) call.handler.onError(error, call);
  }

  #releaseSlot(call: ClientCallRecord): void {
    call.holdsSlot = false;
    this.#admission.release();
  }

  /** Tells listeners and observers about an envelope a method kind sends (DATA, END, CREDIT). */
  emitOut(call: ClientCallRecord, kind: number, message: unknown, metadata?: Metadata): void {
    if (kind === Kind.DATA) call.wire?.notify('out', message);
    this.events.message(call, 'out', kind, metadata, message);
  }

  /** Counters. */
  stats(): ClientStats {
    const d = this.#dispatch;
    return {
      inFlight: d.calls.size,
      queued: this.#admission.queued,
      started: this.#started,
      protocolErrors: d.protocolErrors,
      lateEnvelopes: d.lateEnvelopes,
      ignoredEnvelopes: d.ignoredEnvelopes,
      listenerErrors: this.events.errors,
      resolutionErrors: this.#following.resolutionErrors,
    };
  }

  /** Per-endpoint state, for diagnostics and tests. */
  endpoints(): Array<{ endpoint: string; state: string; outstanding: number }> {
    return this.#conns.endpoints();
  }

  /** Fails pending calls with `CANCELLED` and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#following.stop();
    const error = new RpcError(Code.CANCELLED, 'client closed');
    for (const call of [...this.#dispatch.calls.values()]) this.cancel(call, error);
    for (const call of this.#admission.waiting()) {
      this.#admission.leave(call);
      call.stopWaiting(error);
    }
    this.deadlines.clear();
    await this.#following.closeConnections();
    this.#dispatch.log.flush();
    this.#dispatch.log.logger.info({ event: 'closed' }, 'client closed');
  }
}
