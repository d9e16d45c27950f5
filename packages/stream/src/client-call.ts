/**
 * A stream method on the client: the function the typed client exposes. It
 * builds the request (with an outbox when the client streams), runs the
 * interceptor chain, whose terminal starts a {@link ClientHalf} on the
 * engine, and hands the user the kind's handle (iteration, `send`/`close`,
 * `result`, `trailers`, `cancel`).
 */

import { ClientHalf } from './client-half.js';
import type { CreditSender } from './credit-sender.js';
import { type Deferred, deferred } from './deferred.js';
import { Outbox } from './outbox.js';
import { pump } from './pump.js';
import {
  type CallOptions,
  type ClientCall,
  type ClientCore,
  type ClientRequest,
  type ClientResponse,
  Code,
  type Metadata,
  type MethodInfo,
  RpcError,
} from './rpc-kit.js';
import type { StreamMethod } from './stream-shape.js';

/** Sends before the call started, or while out of credit, that may wait in the outbox. */
const MAX_PENDING_SENDS = 1024;

function noop(): void {}

/**
 * What ties the user's handle to the call the terminal starts. It rides on
 * the request under a symbol key, which survives interceptors that copy the
 * request with object spread.
 */
interface Link {
  readonly trailers: Deferred<Metadata>;
  /** The user's outbox, to fail it even when an interceptor wrapped `request.messages`. */
  readonly outbox: Outbox<unknown> | undefined;
  started: boolean;
}

const LINK = Symbol('xsmb.stream.link');

type LinkedRequest = ClientRequest & { [LINK]?: Link };

/** Starts a stream call on the engine (the terminal of the interceptor chain). */
function startStream(
  core: ClientCore,
  info: MethodInfo,
  method: StreamMethod,
  request: LinkedRequest,
): ClientHalf {
  const own = request.messages instanceof Outbox ? request.messages : undefined;
  const link = request[LINK];
  if (link) link.started = true;
  const half = new ClientHalf(
    core,
    info,
    method,
    own ?? link?.outbox,
    link?.trailers ?? deferred<Metadata>(),
  );
  const onStarted = (call: ClientCall): void => {
    half.started(call);
    const sender = half.sender;
    if (!sender) return;
    if (own) own.attach(half.sink, sender, half.halfClose);
    else if (request.messages) void pumpWrapped(half, call, sender, request.messages);
  };
  try {
    const started = core.start(request, half, core.deadlineOf(request), request.message);
    if (started instanceof Promise) started.then(onStarted, (e: unknown) => half.failToStart(e));
    else onStarted(started);
  } catch (e) {
    half.failToStart(e);
  }
  return half;
}

/** Sends an interceptor-wrapped message source under credit, then half-closes. */
async function pumpWrapped(
  half: ClientHalf,
  call: ClientCall,
  sender: CreditSender,
  messages: AsyncIterable<unknown>,
): Promise<void> {
  const it = messages[Symbol.asyncIterator]();
  try {
    if (await pump(it, sender, () => call.done)) half.halfClose();
  } catch (e) {
    void Promise.resolve(it.return?.()).catch(noop);
    if (!call.done) half.core.cancel(call, RpcError.from(e, Code.CANCELLED));
  }
}

/** The user's side of one call, before the kind shapes it into a handle. */
interface Opened {
  response: Promise<ClientResponse>;
  outbox: Outbox<unknown> | undefined;
  trailers: Promise<Metadata>;
  cancel: () => void;
}

/**
 * Opens a stream call from the user's side: the request (with an outbox when
 * the client streams), the interceptor chain, and the handle's plumbing.
 */
function open(
  core: ClientCore,
  info: MethodInfo,
  chain: (request: ClientRequest) => Promise<ClientResponse>,
  message: unknown,
  callOptions: CallOptions | undefined,
  sends: boolean,
): Opened {
  const controller = new AbortController();
  const signal = callOptions?.signal
    ? AbortSignal.any([callOptions.signal, controller.signal])
    : controller.signal;
  const request: LinkedRequest = core.request(info, message, { ...callOptions, signal });
  // Overflow fails the call (CANCEL to the server, the result rejects), never one send alone.
  const outbox = sends
    ? new Outbox<unknown>(MAX_PENDING_SENDS, (e) => controller.abort(e))
    : undefined;
  if (outbox) request.messages = outbox;
  const link: Link = { trailers: deferred<Metadata>(), outbox, started: false };
  request[LINK] = link;
  const response = chain(request);
  // An interceptor that answered without calling the terminal settles the trailers itself.
  response.then(
    (r) => {
      if (!link.started) link.trailers.resolve(r.trailers);
    },
    (e: unknown) => {
      link.trailers.reject(e);
      outbox?.fail(e);
    },
  );
  return {
    response,
    outbox,
    trailers: link.trailers.promise,
    cancel: () => controller.abort(new RpcError(Code.CANCELLED, 'stream cancelled by the client')),
  };
}

/** An AsyncIterable over the messages of a response that is still being produced by the chain. */
function lazyMessages(response: Promise<ClientResponse>): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      let inner: AsyncIterator<unknown> | undefined;
      const start = async () => {
        const r = await response;
        if (!r.messages)
          throw new RpcError(Code.INTERNAL, 'an interceptor returned no message stream');
        inner = r.messages[Symbol.asyncIterator]();
        return inner;
      };
      return {
        next: () => (inner ? inner.next() : start().then((it) => it.next())),
        return: async () => {
          const it = inner ?? (await start().catch(() => undefined));
          return (await it?.return?.()) ?? { value: undefined, done: true };
        },
      };
    },
  };
}

/** The terminal of the client interceptor chain: starts the call, answers with its stream or result. */
function terminal(
  core: ClientCore,
  info: MethodInfo,
  method: StreamMethod,
): (request: ClientRequest) => Promise<ClientResponse> {
  return (request) => {
    const half = startStream(core, info, method, request);
    if (method.shape.serverStreams)
      return Promise.resolve({
        stream: true,
        messages: half.inbox as AsyncIterable<unknown>,
        trailers: half.trailers,
      });
    return half.result.promise.then((message) => ({
      stream: false,
      message,
      trailers: half.trailers,
    }));
  };
}

/** The handle the user gets: what the kind streams decides which members it has. */
function handle(method: StreamMethod, opened: Opened): object {
  const { response, outbox, trailers, cancel } = opened;
  const { serverStreams, clientStreams } = method.shape;
  const h: Record<string | symbol, unknown> = { trailers, cancel };
  if (serverStreams) h[Symbol.asyncIterator] = () => lazyMessages(response)[Symbol.asyncIterator]();
  if (!clientStreams) return h;
  const box = outbox as Outbox<unknown>;
  h.send = (message: unknown) => box.send(message);
  if (serverStreams) {
    // Bidi: close() half-closes; the server may still answer.
    h.close = () => box.close();
    return h;
  }
  const result = response.then((r) => r.message);
  result.catch(noop);
  h.result = result;
  h.close = () => {
    box.close();
    return result;
  };
  return h;
}

/** Builds the client function of a stream method. */
export function clientMethod(
  core: ClientCore,
  info: MethodInfo,
  method: StreamMethod,
): (message: unknown, callOptions?: CallOptions) => object {
  const chain = core.chain(terminal(core, info, method));
  return (message, callOptions) =>
    handle(method, open(core, info, chain, message, callOptions, method.shape.clientStreams));
}
