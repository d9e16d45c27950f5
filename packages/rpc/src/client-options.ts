/** The options and counters of a client engine (`createClient` takes the options). */

import type { Logger } from '@xsmb/base';
import type {
  ClientTransportFactory,
  DiscoveryEvent,
  DnsResolverOptions,
  Resolver,
} from '@xsmb/transport';
import type { ClientInterceptor } from './call.js';
import { Code } from './code.js';
import type { LoadBalancing } from './connections.js';
import type { RetryPolicy } from './engine.js';
import type { EngineOptions } from './engine-options.js';
import type { Metadata } from './metadata.js';

/** Options of the client engine (see `createClient`). */
export interface ClientCoreOptions extends EngineOptions<ClientInterceptor> {
  /**
   * Server endpoints, e.g. `['tcp://127.0.0.1:5555']`, one connection each;
   * or resolver targets followed as they change: `dns:///name:port` (one
   * connection per A/AAAA address), `dns+srv:///_service._tcp.name` (SRV:
   * ports, weights, priorities). May be empty when `resolver` is given.
   */
  endpoints: readonly string[];
  /**
   * A resolver of your own (Consul, etcd, the Kubernetes API, a
   * `StaticResolver` whose `update()` changes the set at run time); its
   * endpoints join `endpoints`'. Not closed with the client. Default none.
   */
  resolver?: Resolver;
  /**
   * Options of the DNS resolvers of `dns:` and `dns+srv:` targets:
   * `servers` (default none: the system resolver, `dns.lookup`), TTL bounds
   * `minTtlMs`/`maxTtlMs` (1000/300000), `refreshMs` (30000, answers without TTL).
   */
  dns?: DnsResolverOptions;
  /**
   * Told when discovery adds or removes an endpoint or a resolution fails
   * (the last good set is kept). Must not throw (counted in `listenerErrors`).
   * Default none.
   */
  onEndpointEvent?: (event: DiscoveryEvent) => void;
  /** Opens a connection; the ZeroMQ transport by default. */
  transport: ClientTransportFactory;
  /** Default time budget of a call in ms. Default `30000`; `Infinity` for none. */
  timeoutMs?: number;
  /** Metadata sent with every call (call metadata wins on conflicts). Default none. */
  metadata?: Metadata;
  /** Calls in flight at once; further calls wait (backpressure). Default `1024`. */
  maxInFlight?: number;
  /** Calls that may wait for an in-flight slot or a connection; beyond it `RESOURCE_EXHAUSTED`. Default `16384`. */
  maxQueuedCalls?: number;
  /** Endpoint choice per call. Default `'least-outstanding'`. */
  loadBalancing?: LoadBalancing;
  /** Queue calls until a connection is up (bounded by the deadline) instead of failing fast. Default `false`. */
  waitForReady?: boolean;
  /** How long a never-connected endpoint counts as "connecting" (calls wait) before it fails fast. Default `5000`. */
  connectTimeoutMs?: number;
  /** Retry policy for idempotent methods; `false` turns retries off. Default `{ maxAttempts: 3 }`. */
  retry?: RetryPolicy | false;
  /**
   * Where the client logs rare events (a pino logger fits; see `Logger`):
   * GOAWAY from a server, malformed and ignored envelopes (the first few,
   * then summaries), close. `createClient` also gives it to the default
   * transport, which logs connections and refused handshakes. See the
   * README's "Logging". Default: silent.
   */
  logger?: Logger;
}

/** Counters of a client. */
export interface ClientStats {
  /** Calls in flight now. */
  inFlight: number;
  /** Calls waiting for a slot or a connection now. */
  queued: number;
  /** Calls started (requests sent). */
  started: number;
  /** Envelopes that could not be decoded or made no sense. */
  protocolErrors: number;
  /** Envelopes for calls no longer known (late answers after a cancel or deadline); ignored. */
  lateEnvelopes: number;
  /**
   * Envelopes ignored under the forward-compatibility rule: an unknown kind,
   * a call id outside uint32, or a kind the call has no use for (DATA on a unary call).
   */
  ignoredEnvelopes: number;
  /** Listener exceptions swallowed. */
  listenerErrors: number;
  /** Failed resolutions of `dns:` targets or the `resolver` (each failure once, not each retry). */
  resolutionErrors: number;
}

/** The retry policy when the options give none. */
export const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialBackoffMs: 10,
  maxBackoffMs: 1000,
  retryableCodes: [Code.UNAVAILABLE],
};
