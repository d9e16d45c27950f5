/**
 * The endpoint set of a client or subscriber whose `endpoints` hold
 * resolver targets (`dns:///name:port`, `dns+srv:///_svc._tcp.name`) or
 * which was given a {@link Resolver}: one resolver per target, their sets
 * merged with the plain endpoints, and each change told as the endpoints
 * added and removed. The owner opens and drains connections; this only
 * says what the set is and why it is empty.
 */

import { createResolver, type DnsResolverOptions } from './dns-resolver.js';
import { normalizeEndpoints, type ResolvedEndpoint, type Resolver } from './resolver.js';

/**
 * What discovery reports: an endpoint joined or left the set, or a
 * resolution failed (the last good set is kept).
 */
export type DiscoveryEvent =
  | {
      readonly type: 'added';
      readonly endpoint: string;
      /** SRV weight (1 without one). */
      readonly weight: number;
      /** SRV priority (0 without one). */
      readonly priority: number;
    }
  | { readonly type: 'removed'; readonly endpoint: string }
  | {
      readonly type: 'resolutionFailed';
      /** The target (`dns:///name:port`) or `'resolver'` for the `resolver` option. */
      readonly target: string;
      readonly error: Error;
      /** Endpoints of that target kept from its last good resolution. */
      readonly kept: number;
    };

/** A change of the merged set. */
export interface EndpointChange {
  /** Endpoints new to the set. */
  readonly added: readonly ResolvedEndpoint[];
  /** Endpoints gone from the set. */
  readonly removed: readonly string[];
  /** The whole set now (weights and priorities may have changed too). */
  readonly endpoints: readonly ResolvedEndpoint[];
}

/** Options of {@link EndpointsResolver}. */
export interface EndpointsResolverOptions {
  /**
   * A resolver of your own (Consul, etcd, the Kubernetes API, a
   * `StaticResolver` you `update()`): its set joins the targets'. It is not
   * closed with the owner (it may be shared).
   * @default none
   */
  readonly resolver?: Resolver | undefined;
  /** Options of the DNS resolvers made for `dns:` and `dns+srv:` targets. @default their defaults */
  readonly dns?: DnsResolverOptions | undefined;
}

/** Receives what {@link EndpointsResolver} finds. */
export interface EndpointsSink {
  /** The set changed. */
  changed(change: EndpointChange): void;
  /** Something to tell listeners (after `changed` for the same update). */
  event(event: DiscoveryEvent): void;
  /**
   * Every resolver has answered once (a set or a failure): whoever waited
   * for the first answer can decide now. Called once, after `changed` and
   * `event`; not called when there is nothing to resolve.
   */
  settled?(): void;
}

/** Targets a resolver follows; anything else is an endpoint for the transport as it is. */
const RESOLVED = /^dns(\+srv)?:/;

interface Source {
  readonly name: string;
  readonly resolver: Resolver;
  readonly owned: boolean;
  endpoints: readonly ResolvedEndpoint[];
  error: Error | undefined;
  reported: boolean;
  off: () => void;
}

/** Resolves a list of targets (and an optional resolver) into one endpoint set. */
export class EndpointsResolver {
  /**
   * Whether `targets` need resolving at all: false for plain endpoints
   * (anything but `dns:` and `dns+srv:`) and no resolver, which are used as they are (no resolver, no cost).
   */
  static needed(targets: readonly string[], resolver: Resolver | undefined): boolean {
    return resolver !== undefined || targets.some((t) => RESOLVED.test(t));
  }

  /** Failed resolutions reported so far (each failure once, not each retry of it). */
  errors = 0;
  readonly #fixed: readonly ResolvedEndpoint[];
  readonly #sources: Source[] = [];
  readonly #sink: EndpointsSink;
  #current = new Map<string, ResolvedEndpoint>();
  #closed = false;

  /**
   * Creates a resolver per `dns:`/`dns+srv:` target (throws
   * `TransportError` `INVALID_ENDPOINT` for a bad one) and subscribes to
   * them; the plain endpoints are part of the set from the start. The sink
   * may be called before the constructor returns.
   */
  constructor(targets: readonly string[], options: EndpointsResolverOptions, sink: EndpointsSink) {
    this.#sink = sink;
    const fixed: ResolvedEndpoint[] = [];
    const made: Source[] = [];
    try {
      for (const target of targets) {
        if (RESOLVED.test(target)) {
          made.push(this.#source(target, createResolver(target, options.dns), true));
        } else fixed.push({ endpoint: target, weight: 1, priority: 0 });
      }
    } catch (error) {
      for (const s of made) s.resolver.close();
      throw error;
    }
    if (options.resolver) made.push(this.#source('resolver', options.resolver, false));
    this.#fixed = fixed;
    this.#sources.push(...made);
    this.#merge();
    for (const s of made) s.off = s.resolver.subscribe((u) => this.#update(s, u));
  }

  #source(name: string, resolver: Resolver, owned: boolean): Source {
    return { name, resolver, owned, endpoints: [], error: undefined, reported: false, off: noop };
  }

  /** True once every resolver has answered once (a set or a failure). */
  get settled(): boolean {
    return this.#sources.every((s) => s.reported);
  }

  /** The set now. */
  get endpoints(): readonly ResolvedEndpoint[] {
    return [...this.#current.values()];
  }

  /** Why the set is empty, in words, for an `UNAVAILABLE` message. */
  problem(): string {
    const parts = this.#sources.map((s) =>
      !s.reported
        ? `${s.name}: not resolved yet`
        : s.error
          ? `${s.name}: ${s.error.message}`
          : `${s.name}: ${s.endpoints.length} endpoints`,
    );
    return parts.join('; ');
  }

  /** Asks every resolver again now (a connection was lost); failures are reported as usual. */
  resolveNow(): void {
    if (this.#closed) return;
    for (const s of this.#sources) s.resolver.resolveNow().catch(noop);
  }

  /** Stops listening; closes the resolvers made for targets (not the `resolver` option's). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sources) {
      s.off();
      if (s.owned) s.resolver.close();
    }
  }

  #update(source: Source, update: { endpoints: readonly ResolvedEndpoint[]; error?: Error }): void {
    if (this.#closed) return;
    const first = !source.reported;
    source.reported = true;
    source.endpoints = update.endpoints;
    source.error = update.error;
    this.#merge();
    if (update.error) {
      this.errors++;
      this.#sink.event({
        type: 'resolutionFailed',
        target: source.name,
        error: update.error,
        kept: update.endpoints.length,
      });
    }
    if (first && this.settled) this.#sink.settled?.();
  }

  #merge(): void {
    const next = new Map<string, ResolvedEndpoint>();
    const all = normalizeEndpoints([this.#fixed, ...this.#sources.map((s) => s.endpoints)].flat());
    for (const e of all) next.set(e.endpoint, e);
    const previous = this.#current;
    const added = all.filter((e) => !previous.has(e.endpoint));
    const removed = [...previous.keys()].filter((e) => !next.has(e));
    const reweighted = all.some((e) => {
      const p = previous.get(e.endpoint);
      return p !== undefined && (p.weight !== e.weight || p.priority !== e.priority);
    });
    this.#current = next;
    if (added.length === 0 && removed.length === 0 && !reweighted) return;
    this.#sink.changed({ added, removed, endpoints: all });
    for (const e of added) {
      this.#sink.event({
        type: 'added',
        endpoint: e.endpoint,
        weight: e.weight,
        priority: e.priority,
      });
    }
    for (const endpoint of removed) this.#sink.event({ type: 'removed', endpoint });
  }
}

function noop(): void {}
