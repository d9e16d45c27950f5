/**
 * A resolver over a list the application manages: configuration, a file it
 * watches, an orchestrator's API. `update()` replaces the set.
 */

import { type ResolvedEndpoint, ResolverState, type ResolverUpdate } from './resolver.js';

/** Endpoint strings, or endpoints with weights and priorities. */
export type StaticEndpoints = Iterable<string | ResolvedEndpoint>;

function toResolved(endpoints: StaticEndpoints): ResolvedEndpoint[] {
  return [...endpoints].map((e) =>
    typeof e === 'string' ? { endpoint: e, weight: 1, priority: 0 } : e,
  );
}

/** A resolver whose set changes only by {@link StaticResolver.update}. */
export class StaticResolver extends ResolverState {
  /** @param endpoints the initial set (endpoint strings get weight 1, priority 0). */
  constructor(endpoints: StaticEndpoints) {
    super();
    this.succeed(toResolved(endpoints));
  }

  /** Replaces the set; subscribers hear of it when it differs. */
  update(endpoints: StaticEndpoints): ResolverUpdate {
    return this.succeed(toResolved(endpoints));
  }

  /** The current set (nothing to look up). */
  resolveNow(): Promise<ResolverUpdate> {
    return Promise.resolve(this.current()!);
  }
}
