/**
 * What listeners see of calls, built in one place for both sides: the
 * events of a call starting, of each envelope in or out, and of its end.
 * Events are built only when someone listens.
 */

import { Listeners } from '@xsmb/base';
import type { CallStartEvent, RpcListener } from './call.js';
import { Code } from './code.js';
import { type Envelope, Kind } from './envelope.js';
import { kindName } from './kind-name.js';
import type { Metadata } from './metadata.js';
import type { RpcError } from './rpc-error.js';

/** One call as events name it. */
export interface EventCall {
  readonly path: string;
  readonly callId: number;
  readonly peer: string | undefined;
}

/** The headers/trailers and payload an envelope carries, as listeners see them. */
export function envelopeFields(env: Envelope): {
  metadata: Metadata | undefined;
  message: unknown;
} {
  switch (env[1]) {
    case Kind.REQUEST:
      return { metadata: (env[5] as Metadata | null) ?? undefined, message: env[6] };
    case Kind.RESPONSE:
      return { metadata: (env[3] as Metadata | null) ?? undefined, message: env[4] };
    case Kind.ERROR:
      return {
        metadata: (env[6] as Metadata | null) ?? undefined,
        message: { code: env[3], message: env[4] },
      };
    case Kind.DATA:
      return { metadata: undefined, message: env[3] };
    case Kind.END:
      return { metadata: (env[3] as Metadata | null) ?? undefined, message: undefined };
    case Kind.CREDIT:
      return { metadata: undefined, message: { messages: env[3], bytes: env[4] } };
    default:
      return { metadata: undefined, message: undefined };
  }
}

/** The listeners of one side (client or server) and the events they get. */
export class CallEvents {
  readonly listeners: Listeners<RpcListener>;
  // The listener list is fixed at construction: look each hook up once, not
  // per call or envelope.
  readonly #hasStart: boolean;
  readonly #hasMessage: boolean;
  readonly #hasEnd: boolean;

  constructor(
    readonly side: 'client' | 'server',
    listeners: readonly RpcListener[] | undefined,
  ) {
    this.listeners = new Listeners<RpcListener>(listeners);
    this.#hasStart = this.listeners.has('onCallStart');
    this.#hasMessage = this.listeners.has('onMessage');
    this.#hasEnd = this.listeners.has('onCallEnd');
  }

  /** True when someone listens to envelopes (build their fields only then). */
  get hasMessage(): boolean {
    return this.#hasMessage;
  }

  /** Listener exceptions swallowed so far. */
  get errors(): number {
    return this.listeners.errors;
  }

  started(call: EventCall, metadata: Readonly<Metadata>): void {
    if (!this.#hasStart) return;
    this.listeners.emit('onCallStart', { ...this.#callFields(call), metadata });
  }

  /** One envelope of `call` went `direction`. */
  message(
    call: EventCall,
    direction: 'in' | 'out',
    kind: number,
    metadata: Readonly<Metadata> | undefined,
    message: unknown,
  ): void {
    if (!this.#hasMessage) return;
    this.listeners.emit('onMessage', {
      side: this.side,
      direction,
      kind: kindName(kind),
      path: call.path,
      callId: call.callId,
      peer: call.peer,
      metadata,
      message,
    });
  }

  /** An envelope of `call` arrived (its fields as {@link envelopeFields} reads them). */
  envelopeIn(call: EventCall, env: Envelope): void {
    if (!this.#hasMessage) return;
    const { metadata, message } = envelopeFields(env);
    this.message(call, 'in', env[1] as number, metadata, message);
  }

  ended(call: EventCall, error: RpcError | undefined, startedAt: number, at: number): void {
    if (!this.#hasEnd) return;
    this.listeners.emit('onCallEnd', {
      ...this.#callFields(call),
      code: error ? error.code : Code.OK,
      error,
      durationMs: at - startedAt,
    });
  }

  /** The fields by which the start and end events name their call (in this order). */
  #callFields(call: EventCall): Pick<CallStartEvent, 'side' | 'path' | 'callId' | 'peer'> {
    return { side: this.side, path: call.path, callId: call.callId, peer: call.peer };
  }
}
