/**
 * What a server sends back: RESPONSE, END with trailers, ERROR (with the
 * sanitizing of internal errors), the raw envelopes of stream kinds, and
 * ERRORs for calls refused before they started. Failed sends are counted,
 * never thrown: the client is gone.
 */

import type { Codec } from '@xsmb/codec';
import type { PeerId, ServerTransport } from '@xsmb/transport';
import type { CallEvents } from './call-events.js';
import { Code } from './code.js';
import { encodeEnd, encodeError, encodeResponse, Kind } from './envelope.js';
import { isEmptyMetadata, type Metadata } from './metadata.js';
import { RpcError } from './rpc-error.js';
import type { ServerCallRecord } from './server-call.js';

/** The server's answers and the counters of what could not be sent. */
export class ServerReplies {
  /** Answers that could not be sent (client gone). */
  sendFailures = 0;

  constructor(
    readonly codec: Codec,
    readonly transport: ServerTransport,
    readonly events: CallEvents,
    /** Send the message and stack of non-`RpcError`s to clients. */
    readonly expose: boolean,
    /** Counts a failure the call's own outcome does not show (a response too large for the transport). */
    readonly countFailure: (code: Code) => void,
  ) {}

  /**
   * The error a failed call is recorded with (listeners, stats, logs): the
   * code the client gets, and the real message and cause (the client may get
   * a sanitized copy, see {@link toClient}).
   */
  outcomeOf(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    const sent = this.toClient(error);
    return new RpcError(sent.code, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }

  /** What the client gets for `error`: `INTERNAL` "internal error" for non-`RpcError`s unless exposed. */
  toClient(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    const converted = RpcError.from(error, Code.INTERNAL);
    if (converted.code !== Code.INTERNAL || this.expose) {
      if (this.expose && error instanceof Error) {
        return new RpcError(converted.code, converted.rawMessage, {
          details: { stack: error.stack ?? '' },
        });
      }
      return converted;
    }
    return new RpcError(Code.INTERNAL, 'internal error');
  }

  /** The unary RESPONSE, with the call's trailers. */
  response(call: ServerCallRecord, payload: unknown): void {
    const trailers = isEmptyMetadata(call.trailers) ? undefined : call.trailers;
    let bytes: Uint8Array;
    try {
      bytes = encodeResponse(this.codec, call.callId, trailers, payload);
    } catch (e) {
      this.#encodeFailed(call, 'response', e);
      return;
    }
    const max = this.transport.maxMessageBytes;
    if (max !== undefined && bytes.byteLength > max) {
      // Known before sending: the outcome is recorded before the call settles.
      call.error = new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `response of ${bytes.byteLength} bytes exceeds maxMessageBytes ${max}`,
      );
      this.error(call, call.error);
      return;
    }
    this.events.message(call, 'out', Kind.RESPONSE, call.trailers, payload);
    this.transport.send(call.peer, bytes).catch((e: unknown) => {
      if ((e as { code?: unknown }).code === 'TOO_LARGE') this.#tooLarge(call, e);
      else this.sendFailures++;
    });
  }

  /** A stream's END, with the call's trailers. */
  end(call: ServerCallRecord): void {
    const trailers = isEmptyMetadata(call.trailers) ? undefined : call.trailers;
    this.events.message(call, 'out', Kind.END, call.trailers, undefined);
    let bytes: Uint8Array;
    try {
      bytes = encodeEnd(this.codec, call.callId, trailers);
    } catch (e) {
      this.#encodeFailed(call, 'trailers', e);
      return;
    }
    this.raw(call, bytes);
  }

  /** An ERROR: the error's code, message, details and metadata over the call's trailers. */
  error(call: ServerCallRecord, error: unknown): void {
    const e = this.toClient(error);
    const trailers = { ...call.trailers, ...e.metadata };
    this.events.message(call, 'out', Kind.ERROR, trailers, {
      code: e.code,
      message: e.rawMessage,
    });
    let bytes: Uint8Array;
    try {
      bytes = encodeError(
        this.codec,
        call.callId,
        e.code,
        e.rawMessage,
        e.details,
        isEmptyMetadata(trailers) ? undefined : trailers,
      );
    } catch {
      bytes = encodeError(this.codec, call.callId, e.code, e.rawMessage, undefined, undefined);
    }
    this.raw(call, bytes);
  }

  /** One encoded envelope of a call. Resolves when queued. */
  raw(call: ServerCallRecord, bytes: Uint8Array): Promise<void> {
    return this.transport.send(call.peer, bytes).catch(() => {
      // The client is gone; nothing to tell it. Counted for operators.
      this.sendFailures++;
    });
  }

  /** An ERROR for a call that has no record (refused before it started). */
  bare(peer: PeerId, id: number, code: Code, message: string, trailers?: Metadata): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeError(this.codec, id, code, message, undefined, trailers);
    } catch {
      return;
    }
    this.transport.send(peer, bytes).catch(() => {
      this.sendFailures++;
    });
  }

  /**
   * What a handler returned cannot be encoded (a function, a BigInt beyond
   * int64): a server bug, so the client gets INTERNAL with a generic message
   * unless `exposeInternalErrors`; the call's outcome keeps the real error.
   */
  #encodeFailed(call: ServerCallRecord, what: string, cause: unknown): void {
    const error = new Error(`${what} could not be encoded: ${(cause as Error).message}`, { cause });
    call.error = this.outcomeOf(error);
    this.error(call, error);
  }

  /**
   * A RESPONSE above the transport's `maxMessageBytes`: tell the client
   * (RESOURCE_EXHAUSTED, as gRPC) instead of leaving it to its deadline.
   * Only reached with transports that do not expose maxMessageBytes.
   */
  #tooLarge(call: ServerCallRecord, e: unknown): void {
    this.countFailure(Code.RESOURCE_EXHAUSTED);
    this.bare(
      call.peer,
      call.callId,
      Code.RESOURCE_EXHAUSTED,
      `response too large: ${(e as Error).message}`,
    );
  }
}
