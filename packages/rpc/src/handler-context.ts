import type { PeerId } from '@xsmb/transport';
import type { CallContext } from './call.js';
import { type ContextValues, createContextValues } from './context-values.js';
import { now } from './deadline-queue.js';
import type { Metadata } from './metadata.js';

/** What a handler context reads of its call (the engine's record). */
export type HandlerContextSource = Omit<CallContext, 'contextValues' | 'timeRemainingMs'> & {
  /** Monotonic deadline. */
  readonly deadlineAt: number;
};

/**
 * The `ctx` a server handler gets: a read-only view of its call. The
 * engine's record (answer state, envelope routing, cancellation hooks) stays
 * out of the handler's reach.
 */
export class HandlerContext implements CallContext {
  readonly #call: HandlerContextSource;
  #values: ContextValues | undefined;

  constructor(call: HandlerContextSource) {
    this.#call = call;
  }

  get service(): string {
    return this.#call.service;
  }
  get method(): string {
    return this.#call.method;
  }
  get path(): string {
    return this.#call.path;
  }
  get metadata(): Readonly<Metadata> {
    return this.#call.metadata;
  }
  get trailers(): Metadata {
    return this.#call.trailers;
  }
  get deadline(): number {
    return this.#call.deadline;
  }
  get signal(): AbortSignal {
    return this.#call.signal;
  }
  get peer(): PeerId {
    return this.#call.peer;
  }
  get callId(): number {
    return this.#call.callId;
  }
  /** Created on first read: most calls never use it. */
  get contextValues(): ContextValues {
    this.#values ??= createContextValues();
    return this.#values;
  }

  timeRemainingMs(): number {
    const at = this.#call.deadlineAt;
    return at === Number.POSITIVE_INFINITY ? at : Math.max(0, at - now());
  }
}
