/**
 * The client's endpoint set and how it follows discovery: the connections
 * ({@link ConnectionSet}) of the endpoints given, or of what their resolver
 * targets and the `resolver` option list as that changes; a re-resolve when
 * a server that was up goes away or says GOAWAY; and why no call can start
 * (`UNAVAILABLE`), naming the discovery problem when there is one.
 */

import { type DiscoveryEvent, EndpointsResolver } from '@xsmb/transport';
import type { ClientCallRecord } from './client-call.js';
import type { ClientCoreOptions } from './client-options.js';
import { Code } from './code.js';
import { type ConnectionHooks, ConnectionSet } from './connections.js';
import { RpcError } from './rpc-error.js';

/** What the engine is told: the connection set's hooks (but `lost`), and discovery's. */
export interface FollowingHooks extends Omit<ConnectionHooks<ClientCallRecord>, 'lost'> {
  /** Discovery answered for the first time: calls waiting for it decide now. */
  settled(): void;
  /** An `onEndpointEvent` listener threw (counted with the other listener errors). */
  listenerError(): void;
}

/** A client's connections, following discovery when its endpoints need resolving. */
export class EndpointFollowing {
  readonly conns: ConnectionSet<ClientCallRecord>;
  /** Set when the endpoints need resolving (targets, a resolver); plain endpoints go without. */
  readonly #discovery: EndpointsResolver | undefined;

  constructor(options: ClientCoreOptions, hooks: FollowingHooks) {
    const discover = EndpointsResolver.needed(options.endpoints, options.resolver);
    this.conns = new ConnectionSet(
      discover ? [] : options.endpoints,
      options.transport,
      {
        loadBalancing: options.loadBalancing ?? 'least-outstanding',
        connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      },
      {
        changed: hooks.changed,
        fail: hooks.fail,
        opened: hooks.opened,
        // A server that was up went away or is going (GOAWAY): it may have moved.
        lost: () => this.#discovery?.resolveNow(),
      },
    );
    const onEvent = options.onEndpointEvent;
    this.#discovery = discover
      ? new EndpointsResolver(
          options.endpoints,
          { resolver: options.resolver, dns: options.dns },
          {
            changed: (change) => this.conns.update(change),
            event: (event: DiscoveryEvent) => {
              if (!onEvent) return;
              try {
                onEvent(event);
              } catch {
                hooks.listenerError();
              }
            },
            // Calls waiting for the first answer decide now (an empty set fails them).
            settled: hooks.settled,
          },
        )
      : undefined;
  }

  /** True while calls may wait: an endpoint is connecting, or discovery has not answered yet. */
  get connecting(): boolean {
    return this.conns.connecting || (this.#discovery !== undefined && !this.#discovery.settled);
  }

  /** Failed resolutions so far (0 without discovery). */
  get resolutionErrors(): number {
    return this.#discovery?.errors ?? 0;
  }

  /** Why no call can start now, for `UNAVAILABLE`. */
  unavailable(): RpcError {
    const d = this.#discovery;
    if (this.conns.all.length === 0) {
      return new RpcError(Code.UNAVAILABLE, `no endpoint to call${d ? ` (${d.problem()})` : ''}`);
    }
    const why = d ? `; ${d.problem()}` : '';
    return new RpcError(Code.UNAVAILABLE, `no connected endpoint (${this.conns.describe()}${why})`);
  }

  /** Stops following discovery (the connections are closed by {@link closeConnections}). */
  stop(): void {
    this.#discovery?.close();
  }

  /** Closes every connection. */
  closeConnections(): Promise<void> {
    return this.conns.close();
  }
}
