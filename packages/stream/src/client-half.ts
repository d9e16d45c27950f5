/**
 * The client half of one stream call: the CallHandler the client engine
 * drives. It composes what the kind needs — a credit receiver and inbox when
 * the server streams, a credit sender when the client streams — and turns
 * the server's envelopes (DATA, END, RESPONSE, ERROR, CREDIT) into the
 * user's iteration, result and trailers.
 */

import { type CallLink, clientLink } from './call-link.js';
import { CreditReceiver } from './credit-receiver.js';
import { CreditSender } from './credit-sender.js';
import { type Deferred, deferred } from './deferred.js';
import { Inbox } from './inbox.js';
import type { Outbox } from './outbox.js';
import {
  type CallHandler,
  type ClientCall,
  type ClientCore,
  Code,
  check,
  type Envelope,
  encodeEnd,
  errorFromEnvelope,
  Kind,
  type Metadata,
  type MethodInfo,
  RpcError,
} from './rpc-kit.js';
import type { StreamMethod } from './stream-shape.js';

/** What {@link ClientHalf}'s output check returns for a message it refused (the call has failed). */
const REFUSED: unique symbol = Symbol('refused');

/** One stream call on the client. */
export class ClientHalf implements CallHandler {
  call: ClientCall | undefined;
  #link: CallLink | undefined;
  readonly trailers: Metadata = {};
  /** The server's single response (kinds where only the client streams). */
  readonly result = deferred<unknown>();
  /** Server → client messages, when the server streams. */
  readonly inbox: Inbox<unknown> | undefined;
  readonly #receiver: CreditReceiver | undefined;
  /** Client → server credit, when the client streams (from the call's start). */
  sender: CreditSender | undefined;
  #done = false;

  /**
   * @param outbox the user's outbox, failed with the call (also when an interceptor wrapped it).
   * @param trailersReady settled with the call's trailers.
   */
  constructor(
    readonly core: ClientCore,
    readonly info: MethodInfo,
    readonly method: StreamMethod,
    readonly outbox: Outbox<unknown> | undefined,
    readonly trailersReady: Deferred<Metadata>,
  ) {
    if (method.shape.serverStreams) {
      const receiver = new CreditReceiver(method.window, 'server');
      this.#receiver = receiver;
      this.inbox = new Inbox({
        credit: receiver,
        onReturn: () => {
          if (this.call)
            core.cancel(
              this.call,
              new RpcError(Code.CANCELLED, 'the client stopped reading the stream'),
            );
        },
      });
    }
  }

  /** The call is registered and its REQUEST queued: open the server's direction, ready the client's. */
  started(call: ClientCall): void {
    this.call = call;
    const link = clientLink(this.core, call);
    this.#link = link;
    this.#receiver?.open(link);
    if (this.method.shape.clientStreams) this.sender = new CreditSender(link);
  }

  /** Sends one client message as DATA; the caller checked the credit. */
  readonly sink = (value: unknown): Promise<void> | undefined =>
    (this.sender as CreditSender).send(value);

  /** No more client messages: END (half-close). */
  readonly halfClose = (): void => {
    const link = this.#link;
    if (link) link.send(Kind.END, undefined, encodeEnd(link.codec, link.id, undefined));
  };

  onEnvelope(env: Envelope, call: ClientCall, size: number): void {
    const shape = this.method.shape;
    switch (env[1]) {
      case Kind.DATA: {
        const inbox = this.inbox;
        if (!inbox) {
          this.#mismatch(call, 'stream data (DATA)');
          return;
        }
        const value = this.#checked(call, env[3], 'stream message');
        if (value === REFUSED) return;
        if (value instanceof Promise)
          value.catch((e: unknown) => this.#fail(call, RpcError.from(e), true));
        const overrun = inbox.push(value, size);
        if (overrun) this.#fail(call, overrun, true);
        return;
      }
      case Kind.CREDIT:
        if (!shape.clientStreams) {
          this.#mismatch(call, 'credit for client messages (CREDIT)');
          return;
        }
        this.sender?.grant(Number(env[3]) || 0, Number(env[4]) || 0);
        return;
      case Kind.END:
        if (!shape.serverStreams) {
          this.#mismatch(call, 'an end of stream (END) instead of a response');
          return;
        }
        Object.assign(this.trailers, env[3] ?? {});
        this.#finish(call);
        return;
      case Kind.RESPONSE: {
        if (shape.serverStreams) {
          this.#mismatch(call, 'a single response (RESPONSE) instead of a stream');
          return;
        }
        Object.assign(this.trailers, env[3] ?? {});
        const value = this.#checked(call, env[4], 'response');
        if (value === REFUSED) return;
        this.result.resolve(value);
        this.#finish(call);
        return;
      }
      case Kind.ERROR:
        this.#fail(call, errorFromEnvelope(env), true);
        return;
      default:
        this.#fail(
          call,
          new RpcError(Code.INTERNAL, `unexpected envelope kind ${String(env[1])} on a stream`),
          true,
        );
        return;
    }
  }

  /**
   * The server answered with an envelope this kind never gets: the method has
   * another kind there (a 1.0 server that did not check the REQUEST's kind).
   * Fail now and stop the server side, instead of ending empty or hanging.
   */
  #mismatch(call: ClientCall, what: string): void {
    // cancel() ends the call; its onError fails the stream.
    this.core.cancel(
      call,
      new RpcError(
        Code.UNIMPLEMENTED,
        `method ${call.path} answered with ${what}: it has another kind on the server, the client called it as ${this.method.shape.kind}`,
      ),
    );
  }

  #finish(call: ClientCall): void {
    if (this.#done) return;
    this.#done = true;
    this.core.finish(call);
    this.inbox?.end();
    const ended = new RpcError(Code.FAILED_PRECONDITION, 'the server ended the stream');
    this.outbox?.fail(ended);
    this.sender?.fail(ended);
    this.trailersReady.resolve(this.trailers);
    this.result.reject(
      new RpcError(Code.INTERNAL, 'the server ended the stream without a response'),
    );
  }

  /**
   * A message of the server checked against the output schema (a value, or a
   * promise of one for an async schema); a refused one fails the call.
   */
  #checked(call: ClientCall, message: unknown, what: string): unknown {
    try {
      return check(this.info.descriptor.output, message, Code.INTERNAL, what);
    } catch (e) {
      this.#fail(call, e as RpcError, true);
      return REFUSED;
    }
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
    this.sender?.fail(error);
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
