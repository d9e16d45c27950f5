/**
 * A resolver over DNS: `dns:///host:port` (A and AAAA records) and
 * `dns+srv:///_service._tcp.name` (SRV records: ports, priorities and
 * weights, each target's addresses). It re-resolves when the records'
 * TTL runs out (kept within `minTtlMs`..`maxTtlMs`), on `resolveNow()`, and
 * sooner after a failure, keeping the last good set meanwhile.
 *
 * Two ways to look up host names: with DNS servers (the `servers` option or
 * one in the target) it asks them directly and follows the records' TTLs;
 * without, it asks the system resolver (`dns.lookup`, i.e. getaddrinfo:
 * /etc/hosts, nsswitch, the system's caches), which gives no TTL, so it
 * re-resolves every `refreshMs`. SRV records always need the DNS protocol:
 * without `servers`, those of /etc/resolv.conf.
 */

import { Resolver as DnsClient, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TransportError } from './errors.js';
import {
  type ResolvedEndpoint,
  type Resolver,
  ResolverState,
  type ResolverUpdate,
} from './resolver.js';
import { parseTarget, type Target, tcpEndpoint } from './resolver-target.js';
import { StaticResolver } from './static-resolver.js';

/** Options of {@link DnsResolver} and {@link createResolver}. */
export interface DnsResolverOptions {
  /**
   * DNS servers to ask (`'10.0.0.2'`, `'127.0.0.1:5353'`, `'[::1]:53'`). A
   * server in the target (`dns://10.0.0.2:53/name:port`) comes first.
   * Without any, host names go through the system resolver (`dns.lookup`:
   * /etc/hosts, nsswitch), and SRV records to the servers of /etc/resolv.conf.
   * @default none (the system resolver)
   */
  readonly servers?: readonly string[];
  /**
   * Wait between refreshes when the answer carries no TTL (the system
   * resolver, `dns.lookup`), kept within `minTtlMs`..`maxTtlMs`.
   * @default 30000
   */
  readonly refreshMs?: number;
  /**
   * Shortest wait between refreshes, whatever the TTL (a TTL of 0 would
   * otherwise mean asking in a loop).
   * @default 1000
   */
  readonly minTtlMs?: number;
  /**
   * Longest wait between refreshes, whatever the TTL, so a long TTL does not
   * hide a scale-down for hours.
   * @default 300000
   */
  readonly maxTtlMs?: number;
  /**
   * The first retry after a failed resolution; doubles on each further
   * failure up to `maxTtlMs`.
   * @default 1000
   */
  readonly retryMs?: number;
  /** Timeout of one DNS query (node:dns `timeout`). @default 2000 */
  readonly queryTimeoutMs?: number;
  /** Attempts per query and server (node:dns `tries`). @default 2 */
  readonly tries?: number;
  /** Address families: 4, 6, or 0 for both. @default 0 */
  readonly family?: 0 | 4 | 6;
}

interface Resolution {
  readonly endpoints: ResolvedEndpoint[];
  /** The shortest TTL seen, in seconds (undefined when the records carry none). */
  readonly ttlSeconds: number | undefined;
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? 'EUNKNOWN';
}

/** True for "no records of that type", as opposed to a failure. */
function isNoData(error: unknown): boolean {
  return errorCode(error) === 'ENODATA';
}

function minTtl(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function checkMs(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`${name} must be a finite number of ms >= 0`);
  }
  return value;
}

/** Resolves a `dns:` or `dns+srv:` target and keeps the set current. */
export class DnsResolver extends ResolverState {
  readonly #target: Extract<Target, { scheme: 'dns' | 'dns+srv' }>;
  readonly #dns: DnsClient;
  readonly #family: 0 | 4 | 6;
  readonly #minTtlMs: number;
  readonly #maxTtlMs: number;
  readonly #retryMs: number;
  readonly #refreshMs: number;
  /** Whether host names go through `dns.lookup` (no DNS server given). */
  readonly #system: boolean;
  #failures = 0;
  #running: Promise<ResolverUpdate> | undefined;
  #timer: NodeJS.Timeout | undefined;

  /**
   * Starts resolving at once. Throws `INVALID_ENDPOINT` for a target that is
   * not `dns:` or `dns+srv:`, `TypeError` for bad options.
   */
  constructor(target: string | Target, options: DnsResolverOptions = {}) {
    super();
    const parsed = typeof target === 'string' ? parseTarget(target) : target;
    if (parsed.scheme === 'static') {
      throw new TransportError('INVALID_ENDPOINT', 'DnsResolver needs a dns: or dns+srv: target');
    }
    this.#target = parsed;
    this.#minTtlMs = checkMs('minTtlMs', options.minTtlMs ?? 1000);
    this.#maxTtlMs = Math.max(this.#minTtlMs, checkMs('maxTtlMs', options.maxTtlMs ?? 300_000));
    this.#retryMs = checkMs('retryMs', options.retryMs ?? 1000);
    this.#refreshMs = Math.min(
      this.#maxTtlMs,
      Math.max(this.#minTtlMs, checkMs('refreshMs', options.refreshMs ?? 30_000)),
    );
    this.#family = options.family ?? 0;
    this.#dns = new DnsClient({
      timeout: checkMs('queryTimeoutMs', options.queryTimeoutMs ?? 2000),
      tries: options.tries ?? 2,
    });
    const servers = [...(parsed.server ? [parsed.server] : []), ...(options.servers ?? [])];
    this.#system = servers.length === 0;
    if (!this.#system) this.#dns.setServers(servers);
    this.resolveNow().catch(() => undefined);
  }

  resolveNow(): Promise<ResolverUpdate> {
    if (this.closed) return Promise.resolve(this.current() ?? { endpoints: [] });
    this.#running ??= this.#resolveOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  override close(): void {
    clearTimeout(this.#timer);
    this.#dns.cancel();
    super.close();
  }

  async #resolveOnce(): Promise<ResolverUpdate> {
    clearTimeout(this.#timer);
    let update: ResolverUpdate;
    let nextMs: number;
    try {
      const { endpoints, ttlSeconds } =
        this.#target.scheme === 'dns'
          ? await this.#addresses(this.#target.host, this.#target.port, 1, 0)
          : await this.#srv(this.#target.name);
      update = this.succeed(endpoints);
      this.#failures = 0;
      const ttlMs =
        ttlSeconds !== undefined
          ? ttlSeconds * 1000
          : this.#system
            ? this.#refreshMs
            : this.#maxTtlMs;
      nextMs = Math.min(this.#maxTtlMs, Math.max(this.#minTtlMs, ttlMs));
    } catch (error) {
      update = this.fail(error as Error);
      nextMs = Math.min(this.#maxTtlMs, this.#retryMs * 2 ** this.#failures);
      this.#failures = Math.min(this.#failures + 1, 30);
    }
    if (!this.closed) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.resolveNow().catch(() => undefined), nextMs);
      // Discovery must not keep a process alive on its own.
      this.#timer.unref();
    }
    return update;
  }

  /** A and/or AAAA records of `host`, each with `port`. */
  async #addresses(
    host: string,
    port: number,
    weight: number,
    priority: number,
  ): Promise<Resolution> {
    // An address needs no lookup (`dns:///10.0.0.7:7000`, an SRV target given as one).
    if (isIP(host) !== 0) {
      return {
        endpoints: [{ endpoint: tcpEndpoint(host, port), weight, priority }],
        ttlSeconds: undefined,
      };
    }
    if (this.#system) return this.#lookup(host, port, weight, priority);
    const lookups: Promise<{ address: string; ttl: number }[]>[] = [];
    if (this.#family !== 6) lookups.push(this.#dns.resolve4(host, { ttl: true }));
    if (this.#family !== 4) lookups.push(this.#dns.resolve6(host, { ttl: true }));
    const results = await Promise.allSettled(lookups);
    const endpoints: ResolvedEndpoint[] = [];
    let ttlSeconds: number | undefined;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      for (const { address, ttl } of r.value) {
        endpoints.push({ endpoint: tcpEndpoint(address, port), weight, priority });
        ttlSeconds = minTtl(ttlSeconds, ttl);
      }
    }
    if (endpoints.length === 0) {
      const failure = results.find(
        (r): r is PromiseRejectedResult => r.status === 'rejected' && !isNoData(r.reason),
      );
      const cause = failure?.reason ?? (results[0] as PromiseRejectedResult | undefined)?.reason;
      throw new TransportError(
        'UNREACHABLE',
        `${host} does not resolve (${failure ? errorCode(failure.reason) : 'ENODATA'})`,
        { cause },
      );
    }
    return { endpoints, ttlSeconds };
  }

  /** The system resolver's addresses of `host` (no TTL). */
  async #lookup(host: string, port: number, weight: number, priority: number): Promise<Resolution> {
    let found: { address: string }[];
    try {
      found = await lookup(host, { all: true, family: this.#family });
    } catch (cause) {
      throw new TransportError('UNREACHABLE', `${host} does not resolve (${errorCode(cause)})`, {
        cause,
      });
    }
    return {
      endpoints: found.map(({ address }) => ({
        endpoint: tcpEndpoint(address, port),
        weight,
        priority,
      })),
      ttlSeconds: undefined,
    };
  }

  /** SRV records of `name`, then each target's addresses with the record's port and weight. */
  async #srv(name: string): Promise<Resolution> {
    let records: Awaited<ReturnType<DnsClient['resolveSrv']>>;
    try {
      records = await this.#dns.resolveSrv(name);
    } catch (cause) {
      throw new TransportError('UNREACHABLE', `${name} does not resolve (${errorCode(cause)})`, {
        cause,
      });
    }
    const resolved = await Promise.allSettled(
      records.map((r) => this.#addresses(r.name, r.port, r.weight, r.priority)),
    );
    const endpoints: ResolvedEndpoint[] = [];
    let ttlSeconds: number | undefined;
    for (const r of resolved) {
      if (r.status !== 'fulfilled') continue;
      endpoints.push(...r.value.endpoints);
      ttlSeconds = minTtl(ttlSeconds, r.value.ttlSeconds);
    }
    // Some targets not resolving is normal churn; all of them failing is not.
    if (endpoints.length === 0) {
      const first = resolved.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw new TransportError(
        'UNREACHABLE',
        `no target of ${name} resolves${first ? `: ${(first.reason as Error).message}` : ''}`,
        { cause: first?.reason },
      );
    }
    return { endpoints, ttlSeconds };
  }
}

/**
 * A resolver for `target`: a {@link DnsResolver} for `dns:` and `dns+srv:`
 * targets, a {@link StaticResolver} for a plain endpoint (`tcp://...`).
 */
export function createResolver(target: string, options: DnsResolverOptions = {}): Resolver {
  const parsed = parseTarget(target);
  return parsed.scheme === 'static'
    ? new StaticResolver(parsed.endpoints)
    : new DnsResolver(parsed, options);
}
