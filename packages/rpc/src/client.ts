import { withLogger } from '@xsmb/base';
import { type Codec, createMsgpackCodec } from '@xsmb/codec';
import {
  type ClientTransportFactory,
  type ClientTransportOptions,
  createClientTransport,
} from '@xsmb/transport';
import { ClientEngine } from './client-core.js';
import type { ClientCoreOptions, ClientStats } from './client-options.js';
import type { ClientCore } from './engine.js';
import { methodsOf, type ServiceClient, type ServiceDescriptor } from './service.js';

/** Options of {@link createClient}. Every field but `endpoints` is optional. */
export interface ClientOptions extends Omit<ClientCoreOptions, 'transport' | 'codec'> {
  /**
   * Opens the connection to one endpoint. Default: a ZeroMQ DEALER from
   * `@xsmb/transport` with `transportOptions`. Tests pass an in-memory one.
   */
  transport?: ClientTransportFactory;
  /** Options of the default ZeroMQ transport (queues, bursts, heartbeats, CURVE). */
  transportOptions?: ClientTransportOptions;
  /** Envelope codec. Default: `createMsgpackCodec()` (safe decoding, 16 MiB limit). */
  codec?: Codec;
}

const cores = new WeakMap<object, ClientEngine>();

/**
 * Creates a typed client of `service`.
 *
 * @example
 * const greeter = createClient(Greeter, { endpoints: ['tcp://127.0.0.1:5555'] });
 * const { greeting } = await greeter.hello({ name: 'ada' }, { timeoutMs: 200 });
 * await greeter.close();
 * // Every server behind a name, followed as it changes (see ClientCoreOptions.endpoints):
 * createClient(Greeter, { endpoints: ['dns:///greeter.internal:5555'] });
 */
export function createClient<S extends ServiceDescriptor>(
  service: S,
  options: ClientOptions,
): ServiceClient<S> {
  const { transport, transportOptions, codec, ...rest } = options;
  const zmqOptions = withLogger(transportOptions, options.logger);
  const core = new ClientEngine({
    ...rest,
    codec: codec ?? createMsgpackCodec(),
    transport: transport ?? ((endpoint) => createClientTransport(endpoint, zmqOptions)),
  });
  const client: Record<string, unknown> = {};
  for (const info of methodsOf(service))
    client[info.method] = info.descriptor.adapter.client(core, info);
  client.close = () => core.close();
  Object.freeze(client);
  cores.set(client, core);
  return client as ServiceClient<S>;
}

/**
 * The engine behind a client made by {@link createClient}: stats and
 * endpoint states (`@xsmb/rpc/kit`).
 */
export function clientCore(client: object): ClientCore {
  const core = cores.get(client);
  if (!core) throw new TypeError('not a client made by createClient');
  return core;
}

/** Counters of a client made by {@link createClient}. */
export function clientStats(client: object): ClientStats {
  return clientCore(client).stats();
}
