/**
 * The server half of one stream call. It composes what the kind needs — a
 * credit receiver and inbox when the client streams, a credit sender when
 * the server streams — routes the client's envelopes (CREDIT, DATA, END) to
 * them, and runs the handler: after the opening message was validated and
 * authorized (only then does the client get credit to send), through the
 * server interceptors, then either pumps what it yields under the client's
 * credit or answers with its single result.
 */

import { type CallLink, serverLink } from './call-link.js';
import { CreditReceiver } from './credit-receiver.js';
import { CreditSender } from './credit-sender.js';
import { Inbox } from './inbox.js';
import { pump } from './pump.js';
import { Code, check, Kind, RpcError, type ServerCall, type ServerCore } from './rpc-kit.js';
import type { StreamMethod } from './stream-shape.js';

type AnyHandler = (...args: unknown[]) => unknown;

/** What a handler's server interceptor chain answers. */
interface Answer {
  stream: boolean;
  message?: unknown;
  messages?: AsyncIterable<unknown>;
}

function noop(): void {}

/** A handler entry: the function, or `{ authorize, handler }`. */
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
      const own = () => (authorize ? authorize(message, call.ctx) : undefined);
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
  terminal: (message: unknown) => Promise<Answer>,
): Promise<Answer> {
  if (!core.intercepted) return terminal(message);
  // Not chainFor: the terminal captures this call's inbox and credit.
  return core.chain((request) => terminal(request.message))(core.requestOf(call, message));
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

/** One stream call on the server. */
class ServerHalf {
  readonly #link: CallLink;
  /** Client → server messages, when the client streams. */
  readonly inbox: Inbox<unknown> | undefined;
  readonly #receiver: CreditReceiver | undefined;
  /** Server → client credit, when the server streams. */
  readonly sender: CreditSender | undefined;

  constructor(
    readonly core: ServerCore,
    readonly call: ServerCall,
    method: StreamMethod,
  ) {
    this.#link = serverLink(core, call);
    if (method.shape.clientStreams) {
      this.#receiver = new CreditReceiver(method.window, 'client');
      // The handler stopped reading early: it will answer; the rest is ignored.
      this.inbox = new Inbox({ credit: this.#receiver, onReturn: noop });
    }
    if (method.shape.serverStreams) this.sender = new CreditSender(this.#link);
    call.onCancel = (reason) => {
      this.inbox?.fail(reason);
      this.sender?.fail(reason);
    };
    call.receive((env, size) => this.#onEnvelope(env, size));
  }

  /** Grants the client its first credit: from now on its messages flow. */
  openInbox(): Inbox<unknown> {
    this.#receiver?.open(this.#link);
    return this.inbox as Inbox<unknown>;
  }

  #onEnvelope(env: readonly unknown[], size: number): void {
    const call = this.call;
    switch (env[1]) {
      case Kind.CREDIT:
        // CREDIT for a kind whose server does not stream is harmless: ignored.
        this.sender?.grant(Number(env[3]) || 0, Number(env[4]) || 0);
        return;
      case Kind.DATA: {
        const inbox = this.inbox;
        if (!inbox) {
          call.abandon(
            new RpcError(Code.INVALID_ARGUMENT, 'DATA on a stream that takes none'),
            true,
          );
          return;
        }
        let value: unknown;
        try {
          value = check(
            call.registered.descriptor.chunk,
            env[3],
            Code.INVALID_ARGUMENT,
            'stream message',
          );
        } catch (e) {
          this.#failInbox(e);
          return;
        }
        if (value instanceof Promise) value.catch((e: unknown) => this.#failInbox(e));
        const overrun = inbox.push(value, size);
        if (overrun) this.#failInbox(overrun);
        return;
      }
      case Kind.END:
        this.inbox?.end();
        return;
      default:
        call.abandon(
          new RpcError(Code.INVALID_ARGUMENT, `unexpected envelope kind ${String(env[1])}`),
          true,
        );
    }
  }

  /** A bad client message (invalid, beyond credit): fail the handler's iteration and the call. */
  #failInbox(error: unknown): void {
    this.inbox?.fail(error);
    this.call.abandon(RpcError.from(error), true);
  }

  /** Server → client: sends what the handler yields under the client's credit, then END. */
  async pumpOut(source: AsyncIterable<unknown>): Promise<void> {
    const call = this.call;
    const it = source[Symbol.asyncIterator]();
    let finished = false;
    const stop = () => {
      if (finished) return;
      finished = true;
      // Runs the generator's `finally` (at once when it is suspended at a yield).
      void Promise.resolve(it.return?.()).catch(noop);
    };
    const previous = call.onCancel;
    call.onCancel = (reason) => {
      previous?.(reason);
      stop();
    };
    try {
      if (await pump(it, this.sender as CreditSender, () => call.cancelled)) finished = true;
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
}

/**
 * Serves one call of a stream kind: admit the opening message, run the
 * interceptors around the handler, then stream or answer what it returns.
 */
export function serveStream(
  core: ServerCore,
  call: ServerCall,
  entry: unknown,
  payload: unknown,
  method: StreamMethod,
): void {
  const { authorize, handler } = split(entry);
  const half = new ServerHalf(core, call, method);
  const { serverStreams, clientStreams } = method.shape;
  admit(core, call, authorize, payload, (message) => {
    runChain(core, call, message, async (m) => {
      const out = clientStreams ? handler(m, half.openInbox(), call.ctx) : handler(m, call.ctx);
      if (serverStreams) return { stream: true, messages: asIterable(out) };
      return { stream: false, message: await out };
    })
      .then((r) => (serverStreams ? half.pumpOut(asIterable(r.messages)) : call.respond(r.message)))
      // After a response this does nothing: the call is done.
      .catch((e: unknown) => call.fail(e));
  });
}
