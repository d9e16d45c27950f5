/**
 * One call on a client, from the moment it is started until it ends: while
 * it waits for admission and while it is in flight. It holds the call's one
 * deadline (on the engine's DeadlineQueue) and its one abort listener, in
 * both phases.
 */

import type { Wire } from './call-wire.js';
import type { Connection } from './connections.js';
import type { Expirable } from './deadline-queue.js';
import type { CallHandler, ClientCall } from './engine.js';
import type { RpcError } from './rpc-error.js';

/** What a call reports to its engine. */
export interface ClientCallOwner {
  /** The deadline passed (waiting or in flight). */
  expired(call: ClientCallRecord): void;
  /** The caller's signal aborted (waiting or in flight). */
  aborted(call: ClientCallRecord): void;
}

/** One call on a client. */
export class ClientCallRecord implements ClientCall, Expirable {
  /** The call id on the wire; assigned when it is sent. */
  id = 0;
  /** The connection it was sent on; set when it is. */
  conn!: Connection<ClientCallRecord>;
  /** Deadline bucket key, or -1 without a deadline. */
  deadlineKey = -1;
  done = false;
  /** Monotonic time it was sent. */
  startedAt = 0;
  /** Holds an in-flight slot (to give back when it ends). */
  holdsSlot = false;
  #waiting: { what: string; resolve(): void; reject(e: RpcError): void } | undefined;
  #onAbort: (() => void) | undefined;

  constructor(
    readonly owner: ClientCallOwner,
    readonly path: string,
    readonly handler: CallHandler,
    readonly deadlineAt: number,
    readonly signal: AbortSignal | undefined,
    /** The request's wire (absent on hand-made requests with a wire of their own). */
    readonly wire: Wire | undefined,
  ) {
    if (signal) {
      this.#onAbort = () => owner.aborted(this);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** True once its REQUEST went out (it has an id and a connection). */
  get sent(): boolean {
    return this.id !== 0;
  }

  /** The endpoint this call went to. */
  get endpoint(): string {
    return this.conn.endpoint;
  }

  /** {@link id}, as events name it. */
  get callId(): number {
    return this.id;
  }

  /** {@link endpoint}, as events name it. */
  get peer(): string {
    return this.conn.endpoint;
  }

  /** True while the connection's send queue is full. */
  full(): boolean {
    return this.conn.transport.isFull?.() === true;
  }

  /** Sends an envelope of this call on its connection. */
  send(bytes: Uint8Array): Promise<void> {
    return this.conn.transport.send(bytes);
  }

  /** Waits for admission (`what`: for error messages) until {@link wake} or {@link stopWaiting}. */
  wait(what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting = { what, resolve, reject };
    });
  }

  /** What it waits for, while it does. */
  get waitingFor(): string | undefined {
    return this.#waiting?.what;
  }

  wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.resolve();
  }

  /** Fails the wait (deadline, abort, close). */
  stopWaiting(error: RpcError): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.reject(error);
  }

  expire(): void {
    this.deadlineKey = -1;
    this.owner.expired(this);
  }

  /** Stops listening to the caller's signal (the call ended). */
  unlistenAbort(): void {
    if (this.#onAbort) this.signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }
}
