/**
 * The client's call table and its inbound side: call ids, and each envelope
 * read from a connection decoded, checked and handed to its call (or
 * counted: late, ignored, malformed).
 */

import type { Codec } from '@xsmb/codec';
import type { CallEvents } from './call-events.js';
import type { ClientCallRecord } from './client-call.js';
import { Code } from './code.js';
import type { Connection } from './connections.js';
import { checkEnvelope, type Envelope, Kind, MAX_CALL_ID, peekHeader } from './envelope.js';
import { readLoop } from './read-loop.js';
import { RpcError } from './rpc-error.js';
import { RpcLog } from './rpc-log.js';

/** Ends a call with an error (the engine's part). */
export type EndCall = (call: ClientCallRecord, error: RpcError) => void;

/** The calls in flight by id, and the reading of their answers. */
export class ClientDispatch {
  readonly calls = new Map<number, ClientCallRecord>();
  protocolErrors = 0;
  lateEnvelopes = 0;
  ignoredEnvelopes = 0;
  #nextId = 0;

  constructor(
    readonly codec: Codec,
    readonly events: CallEvents,
    readonly end: EndCall,
    readonly log: RpcLog = new RpcLog(undefined, 'rpc-client'),
  ) {}

  /** Gives `call` the next id (wrapping after MAX_CALL_ID) and registers it. */
  add(call: ClientCallRecord): void {
    let id = ++this.#nextId;
    if (id > MAX_CALL_ID) {
      this.#nextId = 1;
      id = 1;
    }
    call.id = id;
    this.calls.set(id, call);
  }

  delete(call: ClientCallRecord): void {
    this.calls.delete(call.id);
  }

  /** Reads `conn` until it closes. */
  read(conn: Connection<ClientCallRecord>): Promise<void> {
    const t = conn.transport;
    const onMessage = (bytes: Uint8Array) => this.#onMessage(conn, bytes);
    return readLoop(t, onMessage, t.drainBuffered ? () => t.drainBuffered?.(onMessage) : undefined);
  }

  #onMessage(conn: Connection<ClientCallRecord>, bytes: Uint8Array): void {
    let env: Envelope;
    try {
      env = this.codec.decode(bytes) as Envelope;
    } catch (e) {
      this.protocolErrors++;
      this.log.fromServer('malformed-envelope', conn.endpoint, (e as Error).message);
      const header = peekHeader(bytes);
      const call = header ? this.calls.get(header.id) : undefined;
      if (call && call.conn === conn) {
        this.end(
          call,
          new RpcError(Code.INTERNAL, `malformed response: ${(e as Error).message}`, { cause: e }),
        );
      }
      return;
    }
    const problem = checkEnvelope(env);
    if (problem?.ignore) {
      this.ignoredEnvelopes++;
      this.log.fromServer('ignored-envelope', conn.endpoint, problem.message);
      return;
    }
    if (problem) {
      this.protocolErrors++;
      this.log.fromServer('malformed-envelope', conn.endpoint, problem.message);
      const id = Array.isArray(env) ? env[2] : undefined;
      const call = typeof id === 'number' ? this.calls.get(id) : undefined;
      if (call && call.conn === conn) {
        const code = problem.version ? Code.FAILED_PRECONDITION : Code.INTERNAL;
        this.end(call, new RpcError(code, problem.message));
      }
      return;
    }
    if (env[1] === Kind.GOAWAY) {
      conn.draining = true;
      this.log.logger.info(
        { event: 'goaway', endpoint: conn.endpoint },
        'server is draining (GOAWAY): new calls go elsewhere',
      );
      return;
    }
    const call = this.calls.get(env[2] as number);
    if (!call || call.conn !== conn) {
      this.lateEnvelopes++;
      return;
    }
    this.events.envelopeIn(call, env);
    if (env[1] === Kind.DATA) call.wire?.notify('in', env[3]);
    call.handler.onEnvelope(env, call, bytes.byteLength);
  }
}
