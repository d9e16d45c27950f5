/**
 * Calling a method without its contract: reflection tells the kind, and a
 * contract is built at run time with the schema-less kinds
 * (`unary()`, `serverStream()`, ...), so any xSMB server can be called.
 */

import {
  type CallOptions,
  Code,
  createClient,
  defineService,
  ReflectionService,
  RpcError,
  type ServiceReflection,
  unary,
} from '@xsmb/rpc';
import { bidiStream, clientStream, serverStream } from '@xsmb/stream';
import type { ClientCurveOptions } from '@xsmb/transport';
import { Option } from 'commander';
import { CliError } from './exit-code.js';

/** The method kinds the command line can call. */
export type MethodKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi-stream';

/** The `--kind` option: call a method without asking reflection. */
export function kindOption(): Option {
  return new Option('--kind <kind>', 'method kind, skips reflection').choices([
    'unary',
    'server-stream',
    'client-stream',
    'bidi-stream',
  ]);
}

/** How the command line connects. */
export interface ConnectOptions {
  /** CURVE settings; default none. */
  curve?: ClientCurveOptions | undefined;
  /** Default budget of each call, ms. */
  timeoutMs?: number;
}

function transportOptions(options: ConnectOptions) {
  return options.curve === undefined ? {} : { transportOptions: { curve: options.curve } };
}

/** Lists the services of a server through reflection. */
export async function reflect(
  endpoint: string,
  options: ConnectOptions & { call?: CallOptions } = {},
): Promise<ServiceReflection[]> {
  const client = createClient(ReflectionService, {
    endpoints: [endpoint],
    waitForReady: true,
    ...transportOptions(options),
  });
  try {
    const { services } = await client.list({}, { timeoutMs: options.timeoutMs ?? 10_000 });
    return services;
  } finally {
    await client.close();
  }
}

/** Splits `service/method`. */
export function splitPath(path: string): { service: string; method: string } {
  const at = path.lastIndexOf('/');
  if (at <= 0 || at === path.length - 1) {
    throw new CliError(`expected <service>/<method>, got ${path}`);
  }
  return { service: path.slice(0, at), method: path.slice(at + 1) };
}

const KIND_FACTORIES: Record<MethodKind, () => unknown> = {
  unary: () => unary(),
  'server-stream': () => serverStream(),
  'client-stream': () => clientStream(),
  'bidi-stream': () => bidiStream(),
};

/** A client method of any kind, untyped. */
// biome-ignore lint/suspicious/noExplicitAny: the contract is only known at run time.
export type AnyClientMethod = (message: unknown, options?: CallOptions) => any;

/** An untyped client of one method, and a way to close it. */
export interface DynamicMethod {
  /** The method's kind. */
  readonly kind: MethodKind;
  /** Calls it. */
  readonly call: AnyClientMethod;
  /** Closes the client. */
  close(): Promise<void>;
}

/**
 * A client for `service/method`. Without `kind`, asks reflection; a method
 * reflection does not list fails with `UNIMPLEMENTED`-like `CliError`.
 */
export async function dynamicMethod(
  endpoint: string,
  path: string,
  options: ConnectOptions & { kind?: MethodKind | undefined } = {},
): Promise<DynamicMethod> {
  const { service, method } = splitPath(path);
  let kind = options.kind;
  if (kind === undefined) {
    let services: ServiceReflection[];
    try {
      services = await reflect(endpoint, options);
    } catch (error) {
      if (error instanceof RpcError && error.code === Code.UNIMPLEMENTED) {
        throw new CliError(
          'the server does not serve reflection (xsmb.reflection.v1): give the method kind with --kind',
        );
      }
      throw error;
    }
    const found = services.find((s) => s.name === service)?.methods.find((m) => m.name === method);
    if (found === undefined) {
      throw new CliError(
        `${path} is not listed by the server's reflection (use --kind to call it anyway)`,
      );
    }
    kind = found.kind as MethodKind;
  }
  const factory = KIND_FACTORIES[kind];
  if (factory === undefined) throw new CliError(`cannot call a method of kind ${kind}`);
  // biome-ignore lint/suspicious/noExplicitAny: built at run time.
  const contract = defineService(service, { [method]: factory() } as any);
  const client = createClient(contract, {
    endpoints: [endpoint],
    waitForReady: true,
    retry: false,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...transportOptions(options),
  }) as unknown as Record<string, AnyClientMethod> & { close(): Promise<void> };
  const fn = client[method] as AnyClientMethod;
  return { kind, call: fn.bind(client), close: () => client.close() };
}
