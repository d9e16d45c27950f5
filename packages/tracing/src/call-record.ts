import { type Exception, type Span, SpanStatusCode } from '@opentelemetry/api';
import { Code, codeName, RpcError } from '@xsmb/rpc';
import type { ActiveSlot } from './active-calls.js';
import type { RecordMessages } from './options.js';
import { RPC_MESSAGE_EVENT, TracingAttribute } from './semantic-conventions.js';
import { isFailure, type Side } from './status.js';
import type { Instruments, MethodTelemetry } from './telemetry.js';

/**
 * One traced call: its recording span (if sampled), its metrics (if a meter
 * is set up), its message counts. Created only when at least one of the two
 * records something; {@link end} runs once, whichever way the call ends.
 */
export class CallRecord {
  /** Stream messages sent so far (after the opening request). */
  sent = 0;
  /** Stream messages received so far. */
  received = 0;
  /** Set by {@link end}. */
  ended = false;
  /** Runs first thing in {@link end}, while the span is still open (e.g. to add attributes known late). */
  onEnd: (() => void) | undefined;
  readonly #start: number;
  readonly #active: ActiveSlot | undefined;

  constructor(
    readonly side: Side,
    readonly method: MethodTelemetry,
    /** The span, only when it is recording. */
    readonly span: Span | undefined,
    readonly instruments: Instruments | undefined,
    readonly recordMessages: RecordMessages,
  ) {
    if (instruments) {
      this.#start = performance.now();
      this.#active = instruments.active.slot(method.path, method.base);
      this.#active.count++;
    } else this.#start = 0;
  }

  /** One stream message went out. */
  sentOne(): void {
    this.#messageEvent('SENT', ++this.sent);
  }

  /** One stream message came in. */
  receivedOne(): void {
    this.#messageEvent('RECEIVED', ++this.received);
  }

  /** The span event of stream message number `id`, when messages are recorded as events. */
  #messageEvent(type: 'SENT' | 'RECEIVED', id: number): void {
    if (this.recordMessages === 'events' && this.span && !this.ended) {
      this.span.addEvent(RPC_MESSAGE_EVENT, {
        [TracingAttribute.RPC_MESSAGE_TYPE]: type,
        [TracingAttribute.RPC_MESSAGE_ID]: id,
      });
    }
  }

  /**
   * Ends the call: without `error` it succeeded (`OK`); otherwise the code is
   * the error's (`RpcError.from`: anything else counts as `INTERNAL` on the
   * server, where the core sends that, and `UNKNOWN` on the client). Only
   * the first call has an effect.
   */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd?.();
    const rpcError =
      error === undefined
        ? undefined
        : RpcError.from(error, this.side === 'server' ? Code.INTERNAL : Code.UNKNOWN);
    const code = rpcError ? rpcError.code : Code.OK;
    const span = this.span;
    if (span) {
      const name = codeName(code);
      span.setAttribute(TracingAttribute.RPC_RESPONSE_STATUS_CODE, name);
      span.setAttribute(TracingAttribute.XSMB_STATUS_CODE, code);
      if (this.method.streaming && this.recordMessages !== false) {
        span.setAttribute(TracingAttribute.XSMB_MESSAGES_SENT, this.sent);
        span.setAttribute(TracingAttribute.XSMB_MESSAGES_RECEIVED, this.received);
      }
      if (rpcError && isFailure(code, this.side)) {
        span.setAttribute(TracingAttribute.ERROR_TYPE, name);
        span.recordException(exceptionOf(error, rpcError));
        span.setStatus({ code: SpanStatusCode.ERROR, message: rpcError.message });
      }
      span.end();
    }
    const instruments = this.instruments;
    if (instruments) {
      const method = this.method;
      instruments.duration.record((performance.now() - this.#start) / 1000, method.outcome(code));
      (this.#active as ActiveSlot).count--;
      if (this.sent > 0) instruments.sent.add(this.sent, method.base);
      if (this.received > 0) instruments.received.add(this.received, method.base);
    }
  }
}

/**
 * What to record as the exception: the original error, so a handler's
 * `TypeError` keeps its type and stack. The SDK takes `exception.type` from
 * a `code` property before `name`, which would make an `RpcError` (numeric
 * code) type `"5"`: such errors are recorded by name.
 */
function exceptionOf(error: unknown, rpcError: RpcError): Exception {
  const e = error instanceof Error ? error : rpcError;
  if (typeof (e as { code?: unknown }).code !== 'number') return e;
  const exception: Exception = { name: e.name, message: e.message };
  if (e.stack !== undefined) exception.stack = e.stack;
  return exception;
}
