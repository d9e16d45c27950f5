/**
 * Resolvers turn a target (`dns:///orders.internal:7000`, a list of
 * endpoints) into the set of endpoints to connect to, and keep it current.
 * `@xsmb/rpc` clients and `@xsmb/pubsub` subscribers follow them through
 * `EndpointsResolver` (endpoints-resolver.ts).
 *
 * Every resolver keeps the last good set: a failed resolution is reported
 * with the error and the set that was good before, never as an empty set,
 * so a DNS hiccup does not disconnect a client from servers that are fine.
 */

import { TransportEmitter } from './event-emitter.js';

/** One endpoint a resolver found. */
export interface ResolvedEndpoint {
  /** A transport endpoint, e.g. `tcp://10.0.0.7:7000` or `tcp://[fd00::7]:7000`. */
  readonly endpoint: string;
  /** Relative weight among endpoints of the same priority (SRV weight); 1 when the source has none. */
  readonly weight: number;
  /** Lower is preferred (SRV priority); 0 when the source has none. */
  readonly priority: number;
}

/** What a resolver reports: the endpoints to use now, and the last failure if the latest resolution failed. */
export interface ResolverUpdate {
  /**
   * The endpoints to use, sorted by endpoint. After a failure, the last good
   * set (empty only if no resolution has ever succeeded).
   */
  readonly endpoints: readonly ResolvedEndpoint[];
  /** Set when the latest resolution failed: the endpoints are then the last good ones. */
  readonly error?: Error;
}

/**
 * A source of endpoint sets. Listen with `subscribe` (a callback) or iterate
 * (`for await (const update of resolver)`); both see every change of the set
 * and every change between failing and succeeding.
 */
export interface Resolver extends AsyncIterable<ResolverUpdate> {
  /**
   * Calls `listener` with the current state at once (when there is one) and
   * then with each update. Returns a function that removes it. Listeners must
   * not throw (errors are swallowed).
   */
  subscribe(listener: (update: ResolverUpdate) => void): () => void;
  /** The latest update, or `undefined` before the first resolution ended. */
  current(): ResolverUpdate | undefined;
  /**
   * Resolves now (a connection failed, a server said GOAWAY) instead of
   * waiting for the next refresh; joins a resolution already running.
   */
  resolveNow(): Promise<ResolverUpdate>;
  /** Stops refreshing; iterators end. Idempotent. */
  close(): void;
}

/** Sorts endpoints and drops duplicates, so two sets compare by value. */
export function normalizeEndpoints(endpoints: Iterable<ResolvedEndpoint>): ResolvedEndpoint[] {
  const byEndpoint = new Map<string, ResolvedEndpoint>();
  for (const e of endpoints) if (!byEndpoint.has(e.endpoint)) byEndpoint.set(e.endpoint, e);
  return [...byEndpoint.values()].sort((a, b) =>
    a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0,
  );
}

function sameEndpoints(a: readonly ResolvedEndpoint[], b: readonly ResolvedEndpoint[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (e, i) =>
        e.endpoint === b[i]!.endpoint && e.weight === b[i]!.weight && e.priority === b[i]!.priority,
    )
  );
}

/**
 * The state every resolver shares: the latest update, the last good set,
 * listeners and iterators. Subclasses call `succeed` and `fail`.
 */
export abstract class ResolverState implements Resolver {
  #latest: ResolverUpdate | undefined;
  #closed = false;
  readonly #events = new TransportEmitter<{ update: ResolverUpdate; close: undefined }>();

  abstract resolveNow(): Promise<ResolverUpdate>;

  /** Whether `close()` was called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** Records a successful resolution; reports it when the set or the error state changed. */
  protected succeed(endpoints: Iterable<ResolvedEndpoint>): ResolverUpdate {
    const sorted = normalizeEndpoints(endpoints);
    const previous = this.#latest;
    if (previous && previous.error === undefined && sameEndpoints(previous.endpoints, sorted)) {
      return previous;
    }
    return this.#publish({ endpoints: sorted });
  }

  /** Records a failed resolution: the last good set stays, with the error. */
  protected fail(error: Error): ResolverUpdate {
    const previous = this.#latest;
    // The same failure again is not news.
    if (previous?.error !== undefined && previous.error.message === error.message) return previous;
    return this.#publish({ endpoints: previous?.endpoints ?? [], error });
  }

  #publish(update: ResolverUpdate): ResolverUpdate {
    this.#latest = update;
    if (!this.#closed) this.#events.emit('update', update);
    return update;
  }

  current(): ResolverUpdate | undefined {
    return this.#latest;
  }

  subscribe(listener: (update: ResolverUpdate) => void): () => void {
    const off = this.#events.on('update', listener);
    if (this.#latest !== undefined) {
      try {
        listener(this.#latest);
      } catch {
        // Documented contract: listeners must not throw.
      }
    }
    return off;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.emit('close', undefined);
  }

  /**
   * Iterates updates: the current state first (when there is one), then each
   * update. A consumer slower than the updates gets the newest one, not a
   * backlog (a set of endpoints replaces the one before). Ends at `close()`.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<ResolverUpdate> {
    let pending: ResolverUpdate | undefined = this.#latest;
    let wake: (() => void) | undefined;
    const offUpdate = this.#events.on('update', (u) => {
      pending = u;
      wake?.();
    });
    const offClose = this.#events.on('close', () => wake?.());
    try {
      for (;;) {
        if (pending !== undefined) {
          const u = pending;
          pending = undefined;
          yield u;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      offUpdate();
      offClose();
    }
  }
}
