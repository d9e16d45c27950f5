/**
 * A transport whose engine is chosen by its first endpoint: the default
 * engine for `tcp://` and `ipc://`, libzmq for `inproc://` (which exists only
 * inside libzmq). Upper layers subscribe to events and start reading before
 * they listen, so listeners are recorded here and handed to the real
 * transport once it exists. The server and publisher facades build on it.
 */

import { checkAllowedKeys } from './curve-socket.js';
import { closedError } from './socket-options.js';
import type { TransportBase, TransportEvents, TransportListener } from './types.js';
import type { TransportEngine } from './zmtp-options.js';

type Registration = {
  readonly event: keyof TransportEvents;
  readonly listener: (event: never) => void;
  off: (() => void) | undefined;
};

/** What the facades need of the real transport besides {@link TransportBase}. */
export interface Listening extends TransportBase {
  listen(endpoint: string): Promise<string>;
  readonly endpoints: readonly string[];
  setAllowedClientKeys(keys: Iterable<string>): void;
}

/** Base class of the engine-choosing facades; `T` is the real transport. */
export abstract class EngineChoosing<T extends Listening> {
  /** The real transport, once an endpoint chose its engine. */
  protected inner: T | undefined;
  protected closedFlag = false;
  private readonly registrations: Registration[] = [];
  private resolveInner!: (inner: T | undefined) => void;
  /** Resolves with the real transport, or `undefined` when closed before one was made. */
  protected readonly innerReady = new Promise<T | undefined>((resolve) => {
    this.resolveInner = resolve;
  });

  /**
   * @param choose picks the engine for the first endpoint.
   * @param create builds the real transport.
   * @param allowList whether the options have `allowedClientKeys`, and what the transport is called in errors.
   */
  constructor(
    private readonly choose: (endpoint: string | undefined) => TransportEngine,
    protected create: (engine: TransportEngine) => T,
    private readonly allowList: { readonly given: boolean; readonly what: string },
  ) {}

  /** The real transport, made now for `endpoint`'s engine if it does not exist yet. */
  protected realize(endpoint: string | undefined): T {
    if (this.inner !== undefined) return this.inner;
    const inner = this.create(this.choose(endpoint));
    this.inner = inner;
    for (const r of this.registrations) {
      r.off = inner.on(r.event, r.listener as TransportListener<typeof r.event>);
    }
    this.resolveInner(inner);
    return inner;
  }

  /** The endpoints bound so far. */
  get endpoints(): readonly string[] {
    return this.inner?.endpoints ?? [];
  }

  /**
   * {@link realize} for an operation that returns a promise: closed, or a
   * transport that cannot be made, rejects instead of throwing.
   */
  protected withRealized<R>(
    endpoint: string | undefined,
    use: (inner: T) => Promise<R>,
  ): Promise<R> {
    if (this.closedFlag) return Promise.reject(closedError());
    let inner: T;
    try {
      inner = this.realize(endpoint);
    } catch (error) {
      return Promise.reject(error);
    }
    return use(inner);
  }

  /** Makes the real transport for `endpoint`'s engine (the first time) and binds it. */
  listen(endpoint: string): Promise<string> {
    return this.withRealized(endpoint, (inner) => inner.listen(endpoint));
  }

  /** Replaces the allow-list now, or on the real transport once it is made. */
  setAllowedClientKeys(keys: Iterable<string>): void {
    if (this.inner !== undefined) {
      this.inner.setAllowedClientKeys(keys);
      return;
    }
    // Not created yet: check now, as the transport would, and create it with the new list.
    if (!this.allowList.given) {
      throw new TypeError(`this ${this.allowList.what} was created without allowedClientKeys`);
    }
    const list = checkAllowedKeys('allowedClientKeys', keys);
    const create = this.create;
    this.create = (engine) => {
      const inner = create(engine);
      inner.setAllowedClientKeys(list);
      return inner;
    };
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    if (this.inner !== undefined) return this.inner.on(event, listener);
    const r: Registration = { event, listener: listener as (event: never) => void, off: undefined };
    this.registrations.push(r);
    return () => {
      const i = this.registrations.indexOf(r);
      if (i >= 0) this.registrations.splice(i, 1);
      r.off?.();
    };
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      if (this.inner === undefined) this.resolveInner(undefined);
    }
    return this.inner?.close() ?? Promise.resolve();
  }
}
