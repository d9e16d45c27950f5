/**
 * How the flow-control parts of a stream reach the wire: one envelope of one
 * call, told to the listeners, then queued on the call's connection. Client
 * and server engines differ only in where those three things live.
 */

import type { ClientCall, ClientCore, Codec, ServerCall, ServerCore } from './rpc-kit.js';

/** The envelopes of one call, as a stream half sends them. */
export interface CallLink {
  /** The envelope codec. */
  readonly codec: Codec;
  /** The call id the envelopes carry. */
  readonly id: number;
  /**
   * Sends one encoded envelope, told to listeners as `kind` with `message`;
   * sends nothing once the call ended. Returns the transport's promise when
   * the connection's send queue is full — a producer waits for it before it
   * sends more — and `undefined` otherwise.
   */
  send(kind: number, message: unknown, bytes: Uint8Array): Promise<void> | undefined;
}

/** What an engine provides for one call's link. */
interface Ports {
  readonly codec: Codec;
  readonly id: number;
  /** True once the call ended. */
  done(): boolean;
  /** Tells the listeners about an outgoing envelope. */
  emit(kind: number, message: unknown): void;
  /** Queues encoded bytes on the call's connection. */
  send(bytes: Uint8Array): Promise<void>;
  /** True while the connection's send queue is full. */
  full(): boolean;
}

function link(p: Ports): CallLink {
  return {
    codec: p.codec,
    id: p.id,
    send(kind, message, bytes) {
      if (p.done()) return undefined;
      p.emit(kind, message);
      // The credit bounds one stream; the connection's queue bounds them all.
      if (p.full()) return p.send(bytes);
      void p.send(bytes);
      return undefined;
    },
  };
}

/** The link of a client call. */
export function clientLink(core: ClientCore, call: ClientCall): CallLink {
  return link({
    codec: core.codec,
    id: call.id,
    done: () => call.done,
    emit: (kind, message) => core.emitOut(call, kind, message),
    send: (bytes) => core.send(call, bytes),
    full: () => call.conn.transport.isFull?.() ?? false,
  });
}

/** The link of a server call. */
export function serverLink(core: ServerCore, call: ServerCall): CallLink {
  const transport = core.transport;
  return link({
    codec: core.codec,
    id: call.callId,
    done: () => call.done,
    emit: (kind, message) => core.emitOut(call, kind, message),
    send: (bytes) => call.send(bytes),
    full: () => transport.isFull?.(call.peer) ?? false,
  });
}
