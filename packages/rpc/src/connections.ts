/**
 * The client's connections, one per endpoint: their states (connecting,
 * ready, failing, draining), the choice of an endpoint per call, and what
 * happens to a connection's calls when it goes. The set changes when
 * discovery says so: new endpoints join once connected; removed ones drain
 * (their calls finish, no new call goes there), then close.
 */

import type { ClientTransport, ClientTransportFactory, EndpointChange } from '@xsmb/transport';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';

/** How a client picks the endpoint of each call. */
export type LoadBalancing = 'round-robin' | 'least-outstanding';

type ConnState = 'connecting' | 'ready' | 'failing';

/** What a connection needs to know of the calls on it. */
export interface ConnectionCall {
  readonly done: boolean;
}

/** One endpoint's connection. */
export class Connection<C extends ConnectionCall = ConnectionCall> {
  state: ConnState = 'connecting';
  /** Why the connection is failing, for error messages. */
  reason = '';
  #draining = false;
  /** Gone from the endpoint set: no new calls; closed once its calls are done. */
  removed = false;
  outstanding = 0;
  /** Relative share of calls among connections of the same priority (SRV weight). */
  weight = 1;
  /** Lower is preferred (SRV priority): higher ones get calls only when no lower one is usable. */
  priority = 0;
  /** Smooth weighted round-robin state. */
  current = 0;
  readonly calls = new Set<C>();
  connectTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param goaway called when the server starts draining (GOAWAY) on a connection in the set. */
  constructor(
    readonly endpoint: string,
    readonly transport: ClientTransport,
    private readonly goaway: () => void = () => {},
  ) {}

  /** The server said GOAWAY: no new calls here until it reconnects. */
  get draining(): boolean {
    return this.#draining;
  }

  set draining(value: boolean) {
    const began = value && !this.#draining;
    this.#draining = value;
    if (began && !this.removed) this.goaway();
  }

  get usable(): boolean {
    return this.state === 'ready' && !this.#draining && !this.removed;
  }
}

/**
 * How long calls of a dropped connection wait for answers already received
 * before they fail with UNAVAILABLE (ms). Small against any deadline.
 */
const DISCONNECT_GRACE_MS = 50;

/** What the connection set tells its engine. */
export interface ConnectionHooks<C extends ConnectionCall> {
  /** A connection changed state: calls waiting for one should look again. */
  changed(): void;
  /** Fails a call of a lost connection. */
  fail(call: C, error: RpcError): void;
  /** A connection was opened: read it. */
  opened(conn: Connection<C>): void;
  /**
   * A connection in the set was lost, or its server said GOAWAY (often an
   * instance going away behind a name): discovery may know better now.
   */
  lost(): void;
}

/** The connections of a client and the endpoint choice per call. */
export class ConnectionSet<C extends ConnectionCall> {
  readonly all: Connection<C>[] = [];
  readonly #balancing: LoadBalancing;
  readonly #hooks: ConnectionHooks<C>;
  readonly #transport: ClientTransportFactory;
  readonly #connectTimeoutMs: number;
  /** Some connection has a weight other than 1 or a priority other than 0. */
  #weighted = false;
  #closed = false;
  #rr = 0;

  constructor(
    endpoints: readonly string[],
    transport: ClientTransportFactory,
    options: { loadBalancing: LoadBalancing; connectTimeoutMs: number },
    hooks: ConnectionHooks<C>,
  ) {
    this.#balancing = options.loadBalancing;
    this.#hooks = hooks;
    this.#transport = transport;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    for (const endpoint of endpoints) this.#open(endpoint);
  }

  #open(endpoint: string): Connection<C> {
    const conn = new Connection<C>(endpoint, this.#transport(endpoint), () => this.#hooks.lost());
    this.all.push(conn);
    this.#watch(conn, this.#connectTimeoutMs);
    this.#hooks.opened(conn);
    return conn;
  }

  /**
   * Follows a change of the endpoint set: opens the added endpoints (they
   * get calls once connected), marks the removed ones (no new calls; each
   * closes once its calls are done), takes the new weights.
   */
  update(change: EndpointChange): void {
    if (this.#closed) return;
    const byEndpoint = new Map(this.all.map((c) => [c.endpoint, c]));
    for (const e of change.added) {
      const back = byEndpoint.get(e.endpoint);
      if (back) back.removed = false;
      else byEndpoint.set(e.endpoint, this.#open(e.endpoint));
    }
    for (const e of change.endpoints) {
      const conn = byEndpoint.get(e.endpoint);
      if (!conn) continue;
      conn.weight = e.weight > 0 ? e.weight : 1;
      conn.priority = e.priority;
    }
    for (const endpoint of change.removed) {
      const conn = byEndpoint.get(endpoint);
      if (!conn) continue;
      conn.removed = true;
      this.drained(conn);
    }
    this.#weighted = this.all.some((c) => c.weight !== 1 || c.priority !== 0);
    this.#hooks.changed();
  }

  /** Closes `conn` if it was removed and its last call is done (the engine calls it as calls end). */
  drained(conn: Connection<C>): void {
    if (!conn.removed || conn.calls.size > 0) return;
    const i = this.all.indexOf(conn);
    if (i < 0) return;
    this.all.splice(i, 1);
    if (conn.connectTimer) clearTimeout(conn.connectTimer);
    conn.transport.close().catch(() => {});
  }

  /** A usable connection for the next call, or `undefined` when none is. */
  pick(): Connection<C> | undefined {
    const conns = this.all;
    const n = conns.length;
    if (n <= 1) return n === 1 && conns[0]!.usable ? conns[0] : undefined;
    if (this.#weighted) return this.#pickWeighted();
    const start = this.#rr % n;
    this.#rr = start + 1;
    let best: Connection<C> | undefined;
    for (let k = 0; k < n; k++) {
      const i = start + k < n ? start + k : start + k - n;
      const c = conns[i] as Connection<C>;
      if (!c.usable) continue;
      if (this.#balancing === 'round-robin') {
        // The next call starts after this one, not after `start`: an
        // unusable endpoint's turn is not handed to its successor again.
        this.#rr = i + 1;
        return c;
      }
      if (!best || c.outstanding < best.outstanding) best = c;
    }
    return best;
  }

  /**
   * Weights and priorities (SRV): only the lowest priority with a usable
   * connection gets calls; within it, round-robin is smooth weighted
   * round-robin (nginx's: exact shares, spread out), least-outstanding picks
   * the fewest calls in flight per unit of weight.
   */
  #pickWeighted(): Connection<C> | undefined {
    let priority = Infinity;
    for (const c of this.all) if (c.usable && c.priority < priority) priority = c.priority;
    let best: Connection<C> | undefined;
    if (this.#balancing === 'round-robin') {
      let total = 0;
      for (const c of this.all) {
        if (!c.usable || c.priority !== priority) continue;
        c.current += c.weight;
        total += c.weight;
        if (!best || c.current > best.current) best = c;
      }
      if (best) best.current -= total;
      return best;
    }
    const n = this.all.length;
    const start = this.#rr++ % n;
    for (let k = 0; k < n; k++) {
      const c = this.all[(start + k) % n] as Connection<C>;
      if (!c.usable || c.priority !== priority) continue;
      if (!best || (c.outstanding + 1) / c.weight < (best.outstanding + 1) / best.weight) best = c;
    }
    return best;
  }

  /** True while some endpoint is still connecting (calls may wait for it). */
  get connecting(): boolean {
    return this.all.some((c) => c.state === 'connecting' && !c.removed);
  }

  /** Every endpoint's state, for error messages. */
  describe(): string {
    return this.all
      .map(
        (c) =>
          `${c.endpoint}: ${c.removed || c.draining ? 'draining' : c.state}${c.reason ? ` (${c.reason})` : ''}`,
      )
      .join(', ');
  }

  /** Per-endpoint state, for diagnostics and tests. */
  endpoints(): Array<{ endpoint: string; state: string; outstanding: number }> {
    return this.all.map((c) => ({
      endpoint: c.endpoint,
      state: c.removed || c.draining ? 'draining' : c.state,
      outstanding: c.outstanding,
    }));
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.all) if (c.connectTimer) clearTimeout(c.connectTimer);
    await Promise.all(this.all.map((c) => c.transport.close()));
  }

  #watch(conn: Connection<C>, connectTimeoutMs: number): void {
    const t = conn.transport;
    const hooks = this.#hooks;
    conn.connectTimer = setTimeout(() => {
      conn.connectTimer = undefined;
      if (conn.state === 'connecting') {
        conn.state = 'failing';
        conn.reason = `not connected after ${connectTimeoutMs} ms`;
        hooks.changed();
      }
    }, connectTimeoutMs);
    conn.connectTimer.unref?.();
    const up = () => {
      if (conn.connectTimer) clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
      conn.state = 'ready';
      conn.reason = '';
      conn.draining = false;
      hooks.changed();
    };
    t.on('connected', up);
    t.on('disconnected', (e) => {
      if (e.reason === 'unresolved') {
        // Calls fail fast (UNAVAILABLE naming the host) instead of waiting out connectTimeoutMs.
        conn.state = 'failing';
        conn.reason = `host of ${conn.endpoint} does not resolve`;
        hooks.changed();
        return;
      }
      if (conn.state === 'connecting' && e.reason !== 'closed') return;
      // A server that was up went away: it may have moved (asked once per loss, not per retry).
      if (conn.state === 'ready' && !conn.removed && e.reason !== 'closed') hooks.lost();
      conn.state = 'failing';
      conn.reason = `connection lost: ${e.reason}`;
      const error = new RpcError(
        Code.UNAVAILABLE,
        `connection to ${conn.endpoint} lost (${e.reason})`,
      );
      hooks.changed();
      // Answers the server sent just before the connection went (a graceful
      // close flushes them, then closes) may still sit in the socket's queue,
      // behind this event: let the reader deliver them, then fail the rest.
      const calls = [...conn.calls];
      setTimeout(() => {
        for (const call of calls) if (!call.done) hooks.fail(call, error);
      }, DISCONNECT_GRACE_MS);
    });
    t.on('handshakeFailed', (e) => {
      conn.state = 'failing';
      conn.reason = `handshake failed: ${e.reason}`;
      const error = new RpcError(
        Code.UNAVAILABLE,
        `handshake with ${conn.endpoint} failed: ${e.reason}`,
      );
      for (const call of [...conn.calls]) hooks.fail(call, error);
      hooks.changed();
    });
    if (t.connected) up();
  }
}
