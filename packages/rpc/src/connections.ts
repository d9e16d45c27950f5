/**
 * The client's connections, one per endpoint: their states (connecting,
 * ready, failing, draining), the choice of an endpoint per call, and what
 * happens to a connection's calls when it goes.
 */

import type { ClientTransport, ClientTransportFactory } from '@xsmb/transport';
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
  draining = false;
  outstanding = 0;
  readonly calls = new Set<C>();
  connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly endpoint: string,
    readonly transport: ClientTransport,
  ) {}

  get usable(): boolean {
    return this.state === 'ready' && !this.draining;
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
}

/** The connections of a client and the endpoint choice per call. */
export class ConnectionSet<C extends ConnectionCall> {
  readonly all: Connection<C>[] = [];
  readonly #balancing: LoadBalancing;
  readonly #hooks: ConnectionHooks<C>;
  #rr = 0;

  constructor(
    endpoints: readonly string[],
    transport: ClientTransportFactory,
    options: { loadBalancing: LoadBalancing; connectTimeoutMs: number },
    hooks: ConnectionHooks<C>,
  ) {
    this.#balancing = options.loadBalancing;
    this.#hooks = hooks;
    for (const endpoint of endpoints) {
      const conn = new Connection<C>(endpoint, transport(endpoint));
      this.all.push(conn);
      this.#watch(conn, options.connectTimeoutMs);
    }
  }

  /** A usable connection for the next call, or `undefined` when none is. */
  pick(): Connection<C> | undefined {
    const conns = this.all;
    const n = conns.length;
    if (n === 1) return conns[0]?.usable ? conns[0] : undefined;
    const start = this.#rr++ % n;
    let best: Connection<C> | undefined;
    for (let k = 0; k < n; k++) {
      const c = conns[(start + k) % n] as Connection<C>;
      if (!c.usable) continue;
      if (this.#balancing === 'round-robin') return c;
      if (!best || c.outstanding < best.outstanding) best = c;
    }
    return best;
  }

  /** True while some endpoint is still connecting (calls may wait for it). */
  get connecting(): boolean {
    return this.all.some((c) => c.state === 'connecting');
  }

  /** Every endpoint's state, for error messages. */
  describe(): string {
    return this.all
      .map(
        (c) =>
          `${c.endpoint}: ${c.draining ? 'draining' : c.state}${c.reason ? ` (${c.reason})` : ''}`,
      )
      .join(', ');
  }

  /** Per-endpoint state, for diagnostics and tests. */
  endpoints(): Array<{ endpoint: string; state: string; outstanding: number }> {
    return this.all.map((c) => ({
      endpoint: c.endpoint,
      state: c.draining ? 'draining' : c.state,
      outstanding: c.outstanding,
    }));
  }

  /** Closes every connection. */
  async close(): Promise<void> {
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
