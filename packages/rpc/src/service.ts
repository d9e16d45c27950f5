/**
 * Contracts: `defineService(name, methods)` with method descriptors such as
 * `unary<Req, Res>()`. A descriptor carries its own adapter (how a client
 * calls it, how a server serves it) and, as phantom types, the signature of
 * the client function and of the server handler. That makes method kinds an
 * open set: `@xsmb/stream` adds streaming kinds without this package knowing
 * them.
 */

import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ClientCore, ServerCall, ServerCore } from './engine.js';

/** A Standard Schema (zod, valibot, arktype, …) for runtime checks. */
export type Schema<I = unknown, O = I> = StandardSchemaV1<I, O>;

/** What a method kind must provide; implemented by `unary` here and by `@xsmb/stream`. */
export interface MethodAdapter {
  /** Builds the client-side function of one method. */
  client(core: ClientCore, method: MethodInfo): (...args: never[]) => unknown;
  /** Starts serving one call whose REQUEST arrived; `payload` is the request's payload as decoded. */
  serve(
    core: ServerCore,
    call: ServerCall,
    handler: (...args: never[]) => unknown,
    payload: unknown,
  ): void;
}

/** Phantom type slots of a descriptor. */
export interface MethodTypes<ClientFn, HandlerFn> {
  readonly client: ClientFn;
  readonly handler: HandlerFn;
}

/**
 * Describes one method of a service. Create it with `unary()` (or
 * `serverStream()`, `clientStream()`, `bidiStream()` from `@xsmb/stream`).
 */
export interface MethodDescriptor<ClientFn = unknown, HandlerFn = unknown> {
  /** The method kind, e.g. `'unary'`, `'server-stream'`; sent in reflection. */
  readonly kind: string;
  /** Validator of the request (the opening message for client streams). */
  readonly input: Schema | undefined;
  /** Validator of the response (of each message for server streams). */
  readonly output: Schema | undefined;
  /** Validator of each client stream message, when the kind has one. */
  readonly chunk?: Schema | undefined;
  /** Safe to retry: the client's retry policy applies only to idempotent methods. */
  readonly idempotent: boolean;
  /** How clients call and servers serve this kind. */
  readonly adapter: MethodAdapter;
  /** Type-level only: the client function and handler signatures. Never set at run time. */
  readonly '~types'?: MethodTypes<ClientFn, HandlerFn>;
}

/** Any method descriptor. */
// biome-ignore lint/suspicious/noExplicitAny: variance of the phantom function types needs any here
export type AnyMethod = MethodDescriptor<any, any>;

/** A set of named methods. */
export type MethodMap = Record<string, AnyMethod>;

/** A service contract, shared by client and server. */
export interface ServiceDescriptor<
  Name extends string = string,
  Methods extends MethodMap = MethodMap,
> {
  /** Fully qualified name, e.g. `demo.Greeter`. */
  readonly name: Name;
  /** The methods by name. */
  readonly methods: Methods;
}

/** Where a method lives, handed to adapters. */
export interface MethodInfo {
  readonly service: string;
  readonly method: string;
  /** `service/method`, the routing key on the wire. */
  readonly path: string;
  readonly descriptor: AnyMethod;
}

/** The client function type of a method descriptor. */
export type ClientMethod<M> = M extends MethodDescriptor<infer C, unknown> ? C : never;
/** The server handler type of a method descriptor. */
export type HandlerOf<M> = M extends MethodDescriptor<unknown, infer H> ? H : never;

/** The typed client object of a service. */
export type ServiceClient<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]: ClientMethod<S['methods'][K]>;
} & {
  /** Fails pending calls with `CANCELLED` and closes the connections. */
  close(): Promise<void>;
};

/** The implementation a server needs for a service: one handler per method. */
export type ServiceImplementation<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]: HandlerOf<S['methods'][K]>;
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const METHOD = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Method names a client object uses for itself (`close`), that make it look
 * like a promise (`then`), or that clash with every object's own members.
 * `defineService` refuses them at compile time and at run time.
 */
export const RESERVED_METHOD_NAMES = [
  'close',
  'then',
  'constructor',
  '__proto__',
  'toString',
] as const;

/** One of {@link RESERVED_METHOD_NAMES}. */
export type ReservedMethodName = (typeof RESERVED_METHOD_NAMES)[number];

/**
 * Turns a reserved method name into a compile error: its descriptor must then
 * also be this string, which no descriptor is, and the message names the key.
 */
export type CheckReserved<M> = {
  readonly [K in keyof M]: K extends ReservedMethodName
    ? `method name "${K}" is reserved (RESERVED_METHOD_NAMES)`
    : M[K];
};

const RESERVED: ReadonlySet<string> = new Set(RESERVED_METHOD_NAMES);

/**
 * Declares a service contract.
 *
 * @example
 * export const Greeter = defineService('demo.Greeter', {
 *   hello: unary<{ name: string }, { greeting: string }>(),
 * });
 * @throws TypeError on an invalid service or method name, or a reserved one
 *   ({@link RESERVED_METHOD_NAMES}; those are also compile errors).
 */
export function defineService<const Name extends string, const Methods extends MethodMap>(
  name: Name,
  methods: Methods & CheckReserved<Methods>,
): ServiceDescriptor<Name, Methods> {
  if (!NAME.test(name)) throw new TypeError(`invalid service name ${JSON.stringify(name)}`);
  for (const method of Object.keys(methods)) {
    if (!METHOD.test(method)) throw new TypeError(`invalid method name ${JSON.stringify(method)}`);
    if (RESERVED.has(method)) throw new TypeError(`method name ${method} is reserved`);
    const d = methods[method];
    if (!d || typeof d.adapter?.client !== 'function') {
      throw new TypeError(`${name}.${method} is not a method descriptor`);
    }
  }
  return Object.freeze({ name, methods: Object.freeze({ ...methods }) });
}

/** Lists the methods of a service with their paths. */
export function methodsOf(service: ServiceDescriptor): MethodInfo[] {
  return Object.entries(service.methods).map(([method, descriptor]) => ({
    service: service.name,
    method,
    path: `${service.name}/${method}`,
    descriptor,
  }));
}
