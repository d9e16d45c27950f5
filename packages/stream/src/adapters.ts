/**
 * How streams run on the RPC engines. Client side: a {@link ClientStream}
 * is the call's handler (it receives DATA, END, RESPONSE, ERROR, CREDIT) and
 * owns the inbox (server → client) and the outbox (client → server). Server
 * side: the adapter validates and authorizes the opening message, then pumps
 * the handler's AsyncIterable under the client's credit and/or feeds the
 * handler an inbox under its own.
 *
 * Wire (docs/PROTOCOL.md, "Streams"): REQUEST opens; the receiver of each
 * direction grants credit (CREDIT); DATA carries messages; END half-closes
 * (the server's END, with trailers, ends the call); ERROR fails it; CANCEL
 * from the client stops it.
 */

import {
  type CallOptions,
  type ClientRequest,
  type ClientResponse,
  Code,
  type Metadata,
  RpcError,
} from '@xsmb/rpc';
import {
  type CallHandler,
  type ClientCall,
  type ClientCore,
  check,
  type Envelope,
  encodeCredit,
  encodeData,
  encodeEnd,
  errorFromEnvelope,
  Kind,
  type MethodAdapter,
  type MethodInfo,
  type ServerCall,
  type ServerCore,
} from '@xsmb/rpc/kit';
import { CreditGate, Inbox, Outbox } from './flow.js';

interface Windowed {
  readonly windowMessages: number;
  readonly windowBytes: number;
}

/** Messages a stream producer sends between two yields to the event loop (see pumpOut). */
const YIELD_EVERY = 128;

/** Resolves after pending I/O callbacks and the transport's setImmediate flush have run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Sends before the call started, or while out of credit, that may wait in the outbox. */
const MAX_PENDING_SENDS = 1024;

function windowOf(info: MethodInfo): Windowed {
  return info.descriptor as unknown as Windowed;
}

function noop(): void {}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/** A promise with its settle functions, whose rejection is never "unhandled". */
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  return { promise, resolve, reject };
}

// ---------------------------------------------------------------- client side

/** One stream call on the client: the CallHandler the engine drives. */
class ClientStream implements CallHandler {
  call: ClientCall | undefined;
  readonly trailers: Metadata = {};
  readonly trailersReady: Deferred<Metadata>;
  readonly result = deferred<unknown>();
  readonly inbox: Inbox<unknown> | undefined;
  readonly outbox: Outbox<unknown> | undefined;
  readonly gate = new CreditGate();
  #done = false;

  constructor(
    readonly core: ClientCore,
    readonly info: MethodInfo,
    receives: boolean,
    sends: Outbox<unknown> | undefined,
    trailers: Deferred<Metadata>,
  ) {
    this.trailersReady = trailers;
    const w = windowOf(info);
    if (receives) {
      this.inbox = new Inbox({
        windowMessages: w.windowMessages,
        windowBytes: w.windowBytes,
        grant: (m, b) =>
          this.#send(encodeCredit(core.codec, (this.call as ClientCall).id, m, b), Kind.CREDIT, {
            messages: m,
            bytes: b,
          }),
        onReturn: () => {
          if (this.call)
            core.cancel(
              this.call,
              new RpcError(Code.CANCELLED, 'the client stopped reading the stream'),
            );
        },
      });
    }
    this.outbox = sends;
  }

  #send(bytes: Uint8Array, kind: number, message: unknown): void {
    const call = this.call;
    if (!call || call.done) return;
    this.core.emitOut(call, kind, message);
    void this.core.send(call, bytes);
  }

  /** The call is registered and its REQUEST queued: grant credit, connect the outbox. */
  started(call: ClientCall): void {
    this.call = call;
    const w = windowOf(this.info);
    if (this.inbox)
      this.#send(
        encodeCredit(this.core.codec, call.id, w.windowMessages, w.windowBytes),
        Kind.CREDIT,
        {
          messages: w.windowMessages,
          bytes: w.windowBytes,
        },
      );
  }

  /** Sends one client message as DATA; the caller checked the credit. */
  readonly sink = (value: unknown): Promise<void> | undefined => {
    const call = this.call as ClientCall;
    const bytes = encodeData(this.core.codec, call.id, value);
    this.gate.consume(bytes.byteLength);
    this.core.emitOut(call, Kind.DATA, value);
    // The credit bounds this stream; the connection's queue bounds them all:
    // when it is full this send waits there, and so must the next ones.
    if (call.conn.transport.isFull?.()) return this.core.send(call, bytes);
    void this.core.send(call, bytes);
    return undefined;
  };

  /** No more client messages: END (half-close). */
  readonly halfClose = (): void => {
    const call = this.call;
    if (!call || call.done) return;
    this.#send(encodeEnd(this.core.codec, call.id, undefined), Kind.END, undefined);
  };

  onEnvelope(env: Envelope, call: ClientCall, size: number): void {
    switch (env[1]) {
      case Kind.DATA: {
        if (!this.inbox) {
          this.#mismatch(call, 'stream data (DATA)');
          return;
        }
        let value: unknown;
        try {
          value = check(this.info.descriptor.output, env[3], Code.INTERNAL, 'stream message');
        } catch (e) {
          this.#fail(call, e as RpcError, true);
          return;
        }
        if (value instanceof Promise)
          value.catch((e: unknown) => this.#fail(call, RpcError.from(e), true));
        if (!this.inbox.push(value, size)) {
          this.#fail(
            call,
            new RpcError(Code.RESOURCE_EXHAUSTED, 'the server sent beyond its credit'),
            true,
          );
        }
        return;
      }
      case Kind.CREDIT:
        if (!this.outbox) {
          this.#mismatch(call, 'credit for client messages (CREDIT)');
          return;
        }
        this.gate.grant(Number(env[3]) || 0, Number(env[4]) || 0);
        this.outbox?.drain();
        return;
      case Kind.END:
        if (!this.inbox) {
          this.#mismatch(call, 'an end of stream (END) instead of a response');
          return;
        }
        Object.assign(this.trailers, env[3] ?? {});
        this.#finish(call);
        return;
      case Kind.RESPONSE: {
        if (this.inbox) {
          this.#mismatch(call, 'a single response (RESPONSE) instead of a stream');
          return;
        }
        Object.assign(this.trailers, env[3] ?? {});
        let value: unknown;
        try {
          value = check(this.info.descriptor.output, env[4], Code.INTERNAL, 'response');
        } catch (e) {
          this.#fail(call, e as RpcError, true);
          return;
        }
        this.result.resolve(value);
        this.#finish(call);
        return;
      }
      case Kind.ERROR:
        this.#fail(call, errorFromEnvelope(env), true);
        return;
      default:
        this.#protocolError(call, `unexpected envelope kind ${String(env[1])} on a stream`);
    }
  }

  /**
   * The server answered with an envelope this kind never gets: the method has
   * another kind there (a 1.0 server that did not check the REQUEST's kind).
   * Fail now and stop the server side, instead of ending empty or hanging.
   */
  #mismatch(call: ClientCall, what: string): void {
    const kind = this.info.descriptor.kind;
    // cancel() ends the call; its onError fails the stream.
    this.core.cancel(
      call,
      new RpcError(
        Code.UNIMPLEMENTED,
        `method ${call.path} answered with ${what}: it has another kind on the server, the client called it as ${kind}`,
      ),
    );
  }

  #protocolError(call: ClientCall, message: string): void {
    this.#fail(call, new RpcError(Code.INTERNAL, message), true);
  }

  #finish(call: ClientCall): void {
    if (this.#done) return;
    this.#done = true;
    this.core.finish(call);
    this.inbox?.end();
    this.outbox?.fail(new RpcError(Code.FAILED_PRECONDITION, 'the server ended the stream'));
    this.gate.fail(new RpcError(Code.FAILED_PRECONDITION, 'the server ended the stream'));
    this.trailersReady.resolve(this.trailers);
    this.result.reject(
      new RpcError(Code.INTERNAL, 'the server ended the stream without a response'),
    );
  }

  /** Fails everything; `fromPeer` means the engine does not know yet. */
  #fail(call: ClientCall | undefined, error: RpcError, fromPeer: boolean): void {
    if (this.#done) return;
    this.#done = true;
    if (fromPeer && call) {
      // A bad message from the server: tell it we are done, end the call.
      if (error.code === Code.INTERNAL || error.code === Code.RESOURCE_EXHAUSTED)
        this.core.cancel(call, error);
      else this.core.finish(call, error);
    }
    this.inbox?.fail(error);
    this.outbox?.fail(error);
    this.gate.fail(error);
    this.trailersReady.reject(error);
    this.result.reject(error);
  }

  onError(error: RpcError, call: ClientCall): void {
    this.#fail(call, error, false);
  }

  /** The call could not start (no connection, deadline, cancelled). */
  failToStart(error: unknown): void {
    this.#fail(undefined, RpcError.from(error), false);
  }
}

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
  request: LinkedRequest,
  receives: boolean,
): ClientStream {
  const own = request.messages instanceof Outbox ? request.messages : undefined;
  const link = request[LINK];
  if (link) link.started = true;
  const stream = new ClientStream(
    core,
    info,
    receives,
    own ?? link?.outbox,
    link?.trailers ?? deferred<Metadata>(),
  );
  const onStarted = (call: ClientCall): void => {
    stream.started(call);
    if (own) own.attach(stream.sink, stream.gate, stream.halfClose);
    else if (request.messages) void pump(stream, request.messages);
  };
  try {
    const started = core.start(request, stream, core.deadlineOf(request), request.message);
    if (started instanceof Promise) started.then(onStarted, (e: unknown) => stream.failToStart(e));
    else onStarted(started);
  } catch (e) {
    stream.failToStart(e);
  }
  return stream;
}

/**
 * Opens a stream call from the user's side: the request (with an outbox when
 * the client sends), the interceptor chain, and the handle's plumbing.
 */
function open(
  core: ClientCore,
  info: MethodInfo,
  chain: (request: ClientRequest) => Promise<ClientResponse>,
  message: unknown,
  callOptions: CallOptions | undefined,
  sends: boolean,
): {
  response: Promise<ClientResponse>;
  outbox: Outbox<unknown> | undefined;
  trailers: Promise<Metadata>;
  cancel: () => void;
} {
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

/** Sends an interceptor-wrapped message source under credit, then half-closes. */
async function pump(stream: ClientStream, messages: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const value of messages) {
      await stream.gate.wait();
      const held = stream.sink(value);
      if (held) await held;
    }
    stream.halfClose();
  } catch (e) {
    if (stream.call && !stream.call.done)
      stream.core.cancel(stream.call, RpcError.from(e, Code.CANCELLED));
  }
}

/** An AsyncIterable over the messages of a response that is still being produced by the chain. */
function lazyMessages(response: Promise<ClientResponse>): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      let inner: AsyncIterator<unknown> | undefined;
      const open = async () => {
        const r = await response;
        if (!r.messages)
          throw new RpcError(Code.INTERNAL, 'an interceptor returned no message stream');
        inner = r.messages[Symbol.asyncIterator]();
        return inner;
      };
      return {
        next: () => (inner ? inner.next() : open().then((it) => it.next())),
        return: async () => {
          const it = inner ?? (await open().catch(() => undefined));
          return (await it?.return?.()) ?? { value: undefined, done: true };
        },
      };
    },
  };
}

// ---------------------------------------------------------------- server side

type AnyHandler = (...args: unknown[]) => unknown;

function split(entry: unknown): { authorize: AnyHandler | undefined; handler: AnyHandler } {
  if (typeof entry === 'function') return { authorize: undefined, handler: entry as AnyHandler };
  const e = entry as { authorize?: AnyHandler; handler: AnyHandler };
  if (typeof e?.handler !== 'function')
    throw new RpcError(Code.INTERNAL, 'stream handler object has no handler');
  return { authorize: e.authorize?.bind(e), handler: e.handler.bind(e) };
}

/** Validates the opening message and runs both authorization steps; then `go(message)`. */
function admit(
  core: ServerCore,
  call: ServerCall,
  authorize: AnyHandler | undefined,
  payload: unknown,
  go: (message: unknown) => void,
): void {
  const fail = (e: unknown) => call.fail(e);
  try {
    const checked = check(
      call.registered.descriptor.input,
      payload,
      Code.INVALID_ARGUMENT,
      'request',
    );
    const afterCheck = (message: unknown): void => {
      const verdict = core.authorizeCall(call, message);
      const own = () => (authorize ? authorize(message, call) : undefined);
      if (verdict instanceof Promise) {
        verdict.then(own).then(() => go(message), fail);
        return;
      }
      const mine = own();
      if (mine instanceof Promise) mine.then(() => go(message), fail);
      else go(message);
    };
    if (checked instanceof Promise) checked.then(afterCheck, fail).catch(fail);
    else afterCheck(checked);
  } catch (e) {
    fail(e);
  }
}

/** Runs the handler through the server interceptors (when there are any). */
function runChain(
  core: ServerCore,
  call: ServerCall,
  message: unknown,
  terminal: (
    message: unknown,
  ) => Promise<{ stream: boolean; message?: unknown; messages?: AsyncIterable<unknown> }>,
): Promise<{ stream: boolean; message?: unknown; messages?: AsyncIterable<unknown> }> {
  if (!core.intercepted) return terminal(message);
  // Not chainFor: the terminal captures this call's inbox and credit gate.
  return core.chain((request) => terminal(request.message))(core.requestOf(call, message));
}

/** Server → client: pulls the handler's iterable while the client's credit lasts. */
async function pumpOut(
  core: ServerCore,
  call: ServerCall,
  gate: CreditGate,
  source: AsyncIterable<unknown>,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  const transport = core.transport;
  let finished = false;
  let sent = 0;
  const stop = () => {
    if (finished) return;
    finished = true;
    // Runs the generator's `finally` (at once when it is suspended at a yield).
    void Promise.resolve(it.return?.()).catch(noop);
  };
  const previous = call.onCancel;
  call.onCancel = (reason) => {
    previous?.(reason);
    gate.fail(reason);
    stop();
  };
  try {
    for (;;) {
      if (!gate.ready) await gate.wait();
      if (call.cancelled) break;
      const r = await it.next();
      if (r.done) {
        finished = true;
        break;
      }
      if (call.cancelled) break;
      const bytes = encodeData(core.codec, call.callId, r.value);
      gate.consume(bytes.byteLength);
      core.emitOut(call, Kind.DATA, r.value);
      // Awaited only when the connection's send queue is full: the client's
      // credit bounds one stream, but not a thousand streams on one
      // connection; an await per message would halve the rate. Waiting
      // here keeps this producer's share of the queue to one message.
      if (transport.isFull?.(call.peer)) await call.send(bytes);
      else void call.send(bytes);
      // A generator that never awaits would keep this loop in one macrotask
      // until the credit runs out: the transport could not flush meanwhile and
      // the client would sit idle. Yield every so often so bursts go out while
      // we keep producing.
      if (++sent % YIELD_EVERY === 0) await yieldToEventLoop();
    }
    if (call.cancelled) {
      stop();
      // Abandoned calls send nothing; this only releases the call's slot.
      call.fail(call.signal.reason);
    } else call.end();
  } catch (e) {
    stop();
    call.fail(e);
  }
}

/** Client → server: the inbox the handler iterates, fed by DATA under the server's credit. */
function inboxFor(core: ServerCore, call: ServerCall): Inbox<unknown> {
  const w = call.registered.descriptor as unknown as Windowed;
  return new Inbox({
    windowMessages: w.windowMessages,
    windowBytes: w.windowBytes,
    grant: (m, b) => {
      if (call.done) return;
      core.emitOut(call, Kind.CREDIT, { messages: m, bytes: b });
      void call.send(encodeCredit(core.codec, call.callId, m, b));
    },
    // The handler stopped reading early: it will answer; the rest is ignored.
    onReturn: noop,
  });
}

/** Routes a stream call's envelopes; returns the credit gate of the server's sending direction. */
function route(call: ServerCall, inbox: Inbox<unknown> | undefined): CreditGate {
  const gate = new CreditGate();
  const chunkSchema = call.registered.descriptor.chunk;
  call.onCancel = (reason) => {
    inbox?.fail(reason);
    gate.fail(reason);
  };
  call.receive((env, size) => {
    switch (env[1]) {
      case Kind.CREDIT:
        gate.grant(Number(env[3]) || 0, Number(env[4]) || 0);
        return;
      case Kind.DATA: {
        if (!inbox) {
          call.abandon(
            new RpcError(Code.INVALID_ARGUMENT, 'DATA on a stream that takes none'),
            true,
          );
          return;
        }
        let value: unknown;
        try {
          value = check(chunkSchema, env[3], Code.INVALID_ARGUMENT, 'stream message');
        } catch (e) {
          inbox.fail(e);
          call.abandon(e as RpcError, true);
          return;
        }
        if (value instanceof Promise) {
          value.catch((e: unknown) => {
            inbox.fail(e);
            call.abandon(RpcError.from(e), true);
          });
        }
        if (!inbox.push(value, size)) {
          const e = new RpcError(Code.RESOURCE_EXHAUSTED, 'the client sent beyond its credit');
          inbox.fail(e);
          call.abandon(e, true);
        }
        return;
      }
      case Kind.END:
        inbox?.end();
        return;
      default:
        call.abandon(
          new RpcError(Code.INVALID_ARGUMENT, `unexpected envelope kind ${String(env[1])}`),
          true,
        );
    }
  });
  return gate;
}

/** Grants the client its first credit: from now on its messages flow. */
function openInbox(core: ServerCore, call: ServerCall): void {
  const w = call.registered.descriptor as unknown as Windowed;
  core.emitOut(call, Kind.CREDIT, { messages: w.windowMessages, bytes: w.windowBytes });
  void call.send(encodeCredit(core.codec, call.callId, w.windowMessages, w.windowBytes));
}

function asIterable(value: unknown): AsyncIterable<unknown> {
  if (value && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return value as AsyncIterable<unknown>;
  }
  throw new RpcError(
    Code.INTERNAL,
    'a stream handler must return an AsyncIterable (use an async generator)',
  );
}

// ---------------------------------------------------------------- adapters

/** The interceptor chain of a kind whose client receives a message stream (server and bidi streams). */
function receivingChain(
  core: ClientCore,
  info: MethodInfo,
): (request: ClientRequest) => Promise<ClientResponse> {
  return core.chain((request) => {
    const stream = startStream(core, info, request, true);
    return Promise.resolve({
      stream: true,
      messages: stream.inbox as AsyncIterable<unknown>,
      trailers: stream.trailers,
    });
  });
}

/**
 * Serves a kind whose server sends a message stream (server and bidi
 * streams): admit the opening message, run the interceptors around
 * `produce`, then pump what it yields under the client's credit.
 */
function serveProducer(
  core: ServerCore,
  call: ServerCall,
  gate: CreditGate,
  authorize: AnyHandler | undefined,
  payload: unknown,
  produce: (message: unknown) => unknown,
): void {
  admit(core, call, authorize, payload, (message) => {
    runChain(core, call, message, async (m) => ({
      stream: true,
      messages: asIterable(produce(m)),
    })).then(
      (r) => pumpOut(core, call, gate, asIterable(r.messages)),
      (e: unknown) => call.fail(e),
    );
  });
}

/** Adapter of `serverStream`. */
export const serverStreamAdapter: MethodAdapter = {
  client(core, info) {
    const chain = receivingChain(core, info);
    return ((message: unknown, callOptions?: CallOptions) => {
      const { response, trailers, cancel } = open(core, info, chain, message, callOptions, false);
      return {
        [Symbol.asyncIterator]: () => lazyMessages(response)[Symbol.asyncIterator](),
        trailers,
        cancel,
      };
    }) as (...args: never[]) => unknown;
  },

  serve(core, call, entry, payload) {
    const { handler } = split(entry);
    const gate = route(call, undefined);
    serveProducer(core, call, gate, undefined, payload, (m) => handler(m, call));
  },
};

/** Adapter of `clientStream`. */
export const clientStreamAdapter: MethodAdapter = {
  client(core, info) {
    const chain = core.chain((request) => {
      const stream = startStream(core, info, request, false);
      return stream.result.promise.then((message) => ({
        stream: false,
        message,
        trailers: stream.trailers,
      }));
    });
    return ((message: unknown, callOptions?: CallOptions) => {
      const { response, outbox, trailers, cancel } = open(
        core,
        info,
        chain,
        message,
        callOptions,
        true,
      );
      const box = outbox as Outbox<unknown>;
      const result = response.then((r) => r.message);
      result.catch(noop);
      return {
        send: (chunk: unknown) => box.send(chunk),
        close: () => {
          box.close();
          return result;
        },
        result,
        trailers,
        cancel,
      };
    }) as (...args: never[]) => unknown;
  },

  serve(core, call, entry, payload) {
    const { authorize, handler } = split(entry);
    const inbox = inboxFor(core, call);
    route(call, inbox);
    admit(core, call, authorize, payload, (message) => {
      runChain(core, call, message, async (m) => {
        openInbox(core, call);
        return { stream: false, message: await handler(m, inbox, call) };
      }).then(
        (r) => call.respond(r.message),
        (e: unknown) => call.fail(e),
      );
    });
  },
};

/** Adapter of `bidiStream`. */
export const bidiStreamAdapter: MethodAdapter = {
  client(core, info) {
    const chain = receivingChain(core, info);
    return ((message: unknown, callOptions?: CallOptions) => {
      const { response, outbox, trailers, cancel } = open(
        core,
        info,
        chain,
        message,
        callOptions,
        true,
      );
      const box = outbox as Outbox<unknown>;
      return {
        [Symbol.asyncIterator]: () => lazyMessages(response)[Symbol.asyncIterator](),
        send: (m: unknown) => box.send(m),
        close: () => box.close(),
        trailers,
        cancel,
      };
    }) as (...args: never[]) => unknown;
  },

  serve(core, call, entry, payload) {
    const { authorize, handler } = split(entry);
    const inbox = inboxFor(core, call);
    const gate = route(call, inbox);
    serveProducer(core, call, gate, authorize, payload, (m) => {
      openInbox(core, call);
      return handler(m, inbox, call);
    });
  },
};
