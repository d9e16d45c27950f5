/** The unary method kind: one request, one response. */

import { validate } from '@xsmb/codec';
import type {
  CallContext,
  CallOptions,
  ClientNext,
  ClientRequest,
  ClientResponse,
} from './call.js';
import { Code } from './code.js';
import { now } from './deadline-queue.js';
import type { CallHandler, ClientCall, ClientCore, ServerCall, ServerCore } from './engine.js';
import { type Envelope, Kind } from './envelope.js';
import { kindName } from './kind-name.js';
import type { Metadata } from './metadata.js';
import { RpcError } from './rpc-error.js';
import type { MethodAdapter, MethodDescriptor, MethodInfo, Schema } from './service.js';

/** The client function of a unary method. */
export type UnaryClientMethod<Req, Res> = (request: Req, options?: CallOptions) => Promise<Res>;

/** The server handler of a unary method. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Res | Promise<Res>;

/**
 * A unary method: `ReqIn` is what the client passes, `ReqOut` what the
 * handler receives (they differ when the input schema transforms), and
 * likewise `ResIn` (handler returns) / `ResOut` (client receives).
 */
export type UnaryDescriptor<ReqIn, ResOut, ReqOut = ReqIn, ResIn = ResOut> = MethodDescriptor<
  UnaryClientMethod<ReqIn, ResOut>,
  UnaryHandler<ReqOut, ResIn>
>;

/** Options of {@link unary}. */
export interface UnaryOptions {
  /** Safe to retry (the client's retry policy applies). Default `false`. */
  idempotent?: boolean;
}

/** Options of {@link unary} with Standard Schema validators; the types are inferred from them. */
export interface UnarySchemaOptions<I extends Schema, O extends Schema> extends UnaryOptions {
  /** Validates requests on the server (failure: `INVALID_ARGUMENT`). */
  input: I;
  /** Validates responses on the client (failure: `INTERNAL`). */
  output: O;
}

type In<S> = S extends Schema<infer I, unknown> ? I : never;
type Out<S> = S extends Schema<unknown, infer O> ? O : never;

/**
 * Declares a unary method: `unary<Req, Res>()` for compile-time types only,
 * or `unary({ input, output })` with Standard Schema validators (types
 * inferred; requests validated by the server, responses by the client).
 */
export function unary<Req, Res>(options?: UnaryOptions): UnaryDescriptor<Req, Res>;
export function unary<I extends Schema, O extends Schema>(
  options: UnarySchemaOptions<I, O>,
): UnaryDescriptor<In<I>, Out<O>, Out<I>, In<O>>;
export function unary(options: Partial<UnarySchemaOptions<Schema, Schema>> = {}): MethodDescriptor {
  return Object.freeze({
    kind: 'unary',
    input: options.input,
    output: options.output,
    idempotent: options.idempotent ?? false,
    adapter: unaryAdapter,
  });
}

/** Runs a schema; sync validators stay sync. Maps failures to an RpcError of `code`. */
export function check(
  schema: Schema | undefined,
  value: unknown,
  code: Code,
  what: string,
): unknown {
  if (!schema) return value;
  try {
    const result = validate(schema, value);
    if (result instanceof Promise) {
      return result.catch((e: unknown) => {
        throw new RpcError(code, `${what} failed validation: ${(e as Error).message}`, {
          cause: e,
        });
      });
    }
    return result;
  } catch (e) {
    throw new RpcError(code, `${what} failed validation: ${(e as Error).message}`, { cause: e });
  }
}

class UnaryCall implements CallHandler {
  /**
   * @param direct resolve with the message itself (no interceptors to hand a
   *   ClientResponse to): one object and one promise hop fewer per call.
   */
  constructor(
    readonly core: ClientCore,
    readonly resolve: (r: unknown) => void,
    readonly reject: (e: RpcError) => void,
    readonly output: Schema | undefined,
    readonly direct?: { onTrailers: ((t: Metadata) => void) | undefined },
  ) {}

  onEnvelope(env: Envelope, call: ClientCall): void {
    const kind = env[1];
    if (kind === Kind.RESPONSE) {
      const trailers = (env[3] as Metadata | null) ?? {};
      try {
        const message = check(this.output, env[4], Code.INTERNAL, 'response');
        if (message instanceof Promise) {
          message.then(
            (m) => this.#ok(call, m, trailers),
            (e: RpcError) => this.#fail(call, e),
          );
        } else this.#ok(call, message, trailers);
      } catch (e) {
        this.#fail(call, e as RpcError);
      }
    } else if (kind === Kind.ERROR) {
      this.#fail(call, errorFromEnvelope(env));
    } else if (kind === Kind.DATA || kind === Kind.END || kind === Kind.CREDIT) {
      // Stream envelopes: the server serves a stream here (a 1.0 server that
      // did not check the REQUEST's kind). Stop it and fail now, not at the deadline.
      const error = new RpcError(
        Code.UNIMPLEMENTED,
        `method ${call.path} answered with stream envelopes (${kindName(kind)}): it is a stream on the server, the client called it as unary`,
      );
      this.core.cancel(call, error); // its onError rejects the caller
    } else {
      // DATA, END, CREDIT on a unary call: the forward-compatible rule, ignore and count.
      this.core.ignored();
    }
  }

  #ok(call: ClientCall, message: unknown, trailers: Metadata): void {
    this.core.finish(call);
    const direct = this.direct;
    if (!direct) {
      this.resolve({ stream: false, message, trailers });
      return;
    }
    try {
      direct.onTrailers?.(trailers);
    } finally {
      this.resolve(message);
    }
  }

  #fail(call: ClientCall, error: RpcError): void {
    this.core.finish(call, error);
    this.reject(error);
  }

  onError(error: RpcError): void {
    this.reject(error);
  }
}

/** Builds the RpcError an ERROR envelope describes. */
export function errorFromEnvelope(env: Envelope): RpcError {
  const code = typeof env[3] === 'number' ? (env[3] as Code) : Code.UNKNOWN;
  const message = typeof env[4] === 'string' ? env[4] : '';
  const trailers = env[6];
  return new RpcError(code, message, {
    details: env[5] ?? undefined,
    metadata: trailers && typeof trailers === 'object' ? (trailers as Metadata) : {},
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The transport step of a unary call, with retries for idempotent methods. */
function terminal(core: ClientCore, info: MethodInfo): ClientNext {
  const once = (request: ClientRequest, deadlineAt: number): Promise<ClientResponse> =>
    new Promise<ClientResponse>((resolve, reject) => {
      const started = core.start(
        request,
        new UnaryCall(core, resolve as (r: unknown) => void, reject, info.descriptor.output),
        deadlineAt,
        request.message,
      );
      if (started instanceof Promise) started.catch(reject);
    });
  const policy = info.descriptor.idempotent ? core.retry : undefined;
  if (!policy || policy.maxAttempts <= 1) {
    return (request) => once(request, core.deadlineOf(request));
  }
  return async (request) => {
    const deadlineAt = core.deadlineOf(request);
    let backoff = policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(request, deadlineAt);
      } catch (e) {
        const err = e as RpcError;
        const delay = backoff * (0.8 + Math.random() * 0.4);
        if (
          attempt >= policy.maxAttempts ||
          !policy.retryableCodes.includes(err.code) ||
          request.signal?.aborted ||
          now() + delay >= deadlineAt
        ) {
          throw err;
        }
        await sleep(delay);
        backoff = Math.min(backoff * 2, policy.maxBackoffMs);
      }
    }
  };
}

const messageOf = (r: ClientResponse): unknown => r.message;

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

function invoke(
  core: ServerCore,
  call: ServerCall,
  impl: UnaryHandler<unknown, unknown>,
  message: unknown,
): void {
  try {
    if (!core.intercepted) {
      // No interceptors: call the handler directly, no request object, no extra promise.
      const result = impl(message, call.ctx);
      if (isPromise(result)) {
        result.then(
          (m) => call.respond(m),
          (e: unknown) => call.fail(e),
        );
      } else call.respond(result);
      return;
    }
    const chain = core.chainFor(call.registered, async (request) => ({
      stream: false,
      message: await impl(request.message, request.ctx),
    }));
    chain(core.requestOf(call, message)).then(
      (r) => call.respond(r.message),
      (e: unknown) => call.fail(e),
    );
  } catch (e) {
    call.fail(e);
  }
}

function admit(
  core: ServerCore,
  call: ServerCall,
  impl: UnaryHandler<unknown, unknown>,
  message: unknown,
): void {
  let verdict: void | Promise<void>;
  try {
    verdict = core.authorizeCall(call, message);
  } catch (e) {
    call.fail(e);
    return;
  }
  if (verdict instanceof Promise) {
    verdict.then(
      () => invoke(core, call, impl, message),
      (e: unknown) => call.fail(e),
    );
  } else invoke(core, call, impl, message);
}

/** The adapter of the unary kind. */
export const unaryAdapter: MethodAdapter = {
  client(core, info) {
    const output = info.descriptor.output;
    if (
      !core.intercepted &&
      !(info.descriptor.idempotent && core.retry && core.retry.maxAttempts > 1)
    ) {
      // The common case: no interceptors, no retries. Straight to the engine.
      return ((message: unknown, options?: CallOptions) =>
        new Promise((resolve, reject) => {
          const request = core.request(info, message, options);
          const handler = new UnaryCall(core, resolve, reject, output, {
            onTrailers: options?.onTrailers,
          });
          const started = core.start(request, handler, core.deadlineOf(request), message);
          if (started instanceof Promise) started.catch(reject);
        })) as (...args: never[]) => unknown;
    }
    const chain = core.chain(terminal(core, info));
    return ((message: unknown, options?: CallOptions) => {
      const onTrailers = options?.onTrailers;
      const response = chain(core.request(info, message, options));
      if (!onTrailers) return response.then(messageOf);
      return response.then((r) => {
        onTrailers(r.trailers);
        return r.message;
      });
    }) as (...args: never[]) => unknown;
  },

  serve(core, call, handler, payload) {
    const impl = handler as unknown as UnaryHandler<unknown, unknown>;
    let request: unknown;
    try {
      request = check(call.registered.descriptor.input, payload, Code.INVALID_ARGUMENT, 'request');
    } catch (e) {
      call.fail(e);
      return;
    }
    if (request instanceof Promise) {
      request.then(
        (m) => admit(core, call, impl, m),
        (e: unknown) => call.fail(e),
      );
    } else admit(core, call, impl, request);
  },
};
