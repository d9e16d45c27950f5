/**
 * One call inside a server, from its REQUEST until it is over: its deadline,
 * its cancellation (the handler's signal), the routing of its later
 * envelopes to its method kind, and the one answer it may send.
 */

import type { PeerId } from '@xsmb/transport';
import type { CallContext } from './call.js';
import { Wire } from './call-wire.js';
import { Code } from './code.js';
import { type Expirable, now } from './deadline-queue.js';
import type { RegisteredMethod, ServerCall } from './engine.js';
import type { Envelope } from './envelope.js';
import { HandlerContext } from './handler-context.js';
import type { Metadata } from './metadata.js';
import { RpcError } from './rpc-error.js';
import type { ServerReplies } from './server-replies.js';

/** What a call needs of its server. */
export interface ServerCallOwner {
  /** Sends the call's answers. */
  readonly replies: ServerReplies;
  /** The endpoints the server listens on. */
  readonly endpoints: readonly string[];
  /** Called exactly once per call when it is over. */
  settle(call: ServerCallRecord): void;
}

/**
 * One call inside a server: the engine's record. Handlers get its `ctx`, a
 * read-only view of it ({@link HandlerContext}).
 */
export class ServerCallRecord implements ServerCall, Expirable {
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
    readonly owner: ServerCallOwner,
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

  /** The call's wire for observers, created on first use (interceptors). */
  get wire(): Wire {
    if (!this.#wire) {
      const endpoints = this.owner.endpoints;
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
    if (!this.#running) this.owner.settle(this);
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
    if (!this.abandoned) this.owner.replies.response(this, payload);
    this.owner.settle(this);
  }

  /** Sends an ERROR (unless abandoned) and finishes the call. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error ??= this.owner.replies.outcomeOf(error);
    if (!this.abandoned) this.owner.replies.error(this, error);
    this.owner.settle(this);
  }

  /** Sends one envelope of this call (streams). Resolves when queued. */
  send(bytes: Uint8Array): Promise<void> {
    return this.owner.replies.raw(this, bytes);
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
    if (!this.abandoned) this.owner.replies.end(this);
    this.owner.settle(this);
  }
}

/** Unary calls take nothing after their REQUEST but CANCEL; stream kinds take DATA, END, CREDIT. */
export function acceptsStreamEnvelopes(call: ServerCallRecord): boolean {
  return call.registered.descriptor.kind !== 'unary';
}
