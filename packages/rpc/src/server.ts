import { withLogger } from '@xsmb/base';
import { type Codec, createMsgpackCodec } from '@xsmb/codec';
import {
  createServerTransport,
  type ServerTransport,
  type ServerTransportOptions,
} from '@xsmb/transport';
import { registerBuiltins } from './builtin.js';
import type { ServerCore } from './engine.js';
import {
  type HealthStatus,
  type ServerCoreOptions,
  ServerEngine,
  type ServerStats,
} from './server-core.js';
import { methodsOf, type ServiceDescriptor, type ServiceImplementation } from './service.js';

/** Options of {@link createServer}. All optional. */
export interface ServerOptions extends Omit<ServerCoreOptions, 'transport' | 'codec'> {
  /** The listening transport. Default: a ZeroMQ ROUTER from `@xsmb/transport` with `transportOptions`. */
  transport?: ServerTransport;
  /** Options of the default ZeroMQ transport (queues, bursts, heartbeats, CURVE, allow-list). */
  transportOptions?: ServerTransportOptions;
  /** Envelope codec. Default: `createMsgpackCodec()` (safe decoding, 16 MiB limit). */
  codec?: Codec;
  /** Serve `xsmb.health.v1`. Default `true`. */
  health?: boolean;
  /** Serve `xsmb.reflection.v1`. Default `true`. */
  reflection?: boolean;
}

/** Options of {@link Server.close}. */
export interface CloseOptions {
  /** How long running calls may take to finish before they are cancelled, ms. Default `5000`. */
  graceMs?: number;
}

/** An xSMB server: add services, listen, close. */
export interface Server {
  /** Serves `service` with `implementation` (type-checked against the contract). Chainable. */
  add<S extends ServiceDescriptor>(service: S, implementation: ServiceImplementation<S>): Server;
  /**
   * Binds to endpoints (`tcp://127.0.0.1:0` picks a free port) and resolves
   * with the real ones, one per argument (a tuple, so `const [e] = await
   * server.listen(...)` is a `string`).
   */
  listen<const E extends readonly string[]>(
    ...endpoints: E
  ): Promise<{ -readonly [K in keyof E]: string }>;
  /** Endpoints bound so far. */
  readonly endpoints: readonly string[];
  /** Sets what the health service reports (`DRAINING` is set by `close`). */
  setHealth(status: HealthStatus): void;
  /** Counters. */
  stats(): ServerStats;
  /**
   * Graceful shutdown: new calls get `UNAVAILABLE`, running calls may finish
   * within `graceMs`, then they are cancelled and the transport closes.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Creates a server.
 *
 * @example
 * const server = createServer();
 * server.add(Greeter, { async hello(req) { return { greeting: `hi ${req.name}` }; } });
 * const [endpoint] = await server.listen('tcp://127.0.0.1:0');
 */
export function createServer(options: ServerOptions = {}): Server {
  const { transport, transportOptions, codec, health, reflection, ...rest } = options;
  const core = new ServerEngine({
    ...rest,
    codec: codec ?? createMsgpackCodec(),
    transport: transport ?? createServerTransport(withLogger(transportOptions, options.logger)),
  });
  registerBuiltins(core, { health: health ?? true, reflection: reflection ?? true });
  const server: Server = {
    add(service, implementation) {
      const impl = implementation as Record<string, unknown>;
      for (const info of methodsOf(service)) {
        const handler = impl[info.method];
        // Method kinds may take a handler object (e.g. streams: { authorize, handler }).
        if (typeof handler === 'object' && handler !== null) {
          core.register({ ...info, handler: handler as (...args: never[]) => unknown });
          continue;
        }
        if (typeof handler !== 'function') throw new TypeError(`${info.path} has no handler`);
        core.register({
          ...info,
          handler: handler.bind(implementation) as (...args: never[]) => unknown,
        });
      }
      return server;
    },
    async listen(...endpoints) {
      const bound: string[] = [];
      for (const endpoint of endpoints) {
        const real = await core.transport.listen(endpoint);
        core.log.logger.info({ event: 'listening', endpoint: real }, 'server listening');
        bound.push(real);
      }
      return bound as never;
    },
    get endpoints() {
      return core.transport.endpoints;
    },
    setHealth(status) {
      core.health = status;
    },
    stats: () => core.stats(),
    close: (closeOptions) => core.close(closeOptions?.graceMs ?? 5000),
  };
  engines.set(server, core);
  return server;
}

const engines = new WeakMap<Server, ServerEngine>();

/** The engine behind a server made by {@link createServer} (`@xsmb/rpc/kit`). */
export function serverCore(server: Server): ServerCore {
  const core = engines.get(server);
  if (!core) throw new TypeError('not a server made by createServer');
  return core;
}
