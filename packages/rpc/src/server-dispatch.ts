/**
 * The server's inbound side: every envelope read from the transport is
 * decoded and checked; a REQUEST is validated (path, metadata, kind,
 * draining, duplicate id) and becomes a call; later envelopes go to their
 * call (CANCEL aborts it; DATA, END, CREDIT go to its method kind, or wait
 * for it, bounded). Calls are kept per peer, so a client that disconnects
 * has its calls stopped at once.
 */

import type { Codec } from '@xsmb/codec';
import type { PeerId, ServerTransport } from '@xsmb/transport';
import type { CallEvents } from './call-events.js';
import { Code } from './code.js';
import type { DeadlineQueue } from './deadline-queue.js';
import type { RegisteredMethod } from './engine.js';
import {
  checkEnvelope,
  type Envelope,
  Kind,
  kindMismatchMessage,
  PROTOCOL_VERSION,
  peekHeader,
  requestKind,
} from './envelope.js';
import { type Metadata, MetadataKey, metadataProblem } from './metadata.js';
import { readLoop } from './read-loop.js';
import { RpcError } from './rpc-error.js';
import type { RpcLog } from './rpc-log.js';
import type { ServerAdmission } from './server-admission.js';
import { acceptsStreamEnvelopes, type ServerCallOwner, ServerCallRecord } from './server-call.js';
import type { ServerReplies } from './server-replies.js';

/** Envelopes kept for a call whose method kind is not listening yet (its credit window bounds them). */
const MAX_EARLY = 4096;

/** What the dispatcher needs of its server. */
export interface DispatchHost extends ServerCallOwner {
  readonly codec: Codec;
  readonly transport: ServerTransport;
  readonly events: CallEvents;
  readonly replies: ServerReplies;
  readonly admission: ServerAdmission;
  readonly deadlines: DeadlineQueue;
  readonly methods: ReadonlyMap<string, RegisteredMethod>;
  readonly services: ReadonlyMap<string, unknown>;
  /** True once the server drains: new calls are refused. */
  readonly draining: boolean;
  /** The `xsmb-retry-after-ms` value sent with RESOURCE_EXHAUSTED. */
  readonly retryAfter: string;
  /** Where malformed and ignored envelopes are logged. */
  readonly log: RpcLog;
}

/** The calls of a server by peer and id, and the reading of envelopes. */
export class ServerDispatch {
  /** Peers seen (they get a GOAWAY on shutdown). */
  readonly peers = new Set<PeerId>();
  readonly #active = new Map<PeerId, Map<number, ServerCallRecord>>();
  readonly stats = {
    rejected: 0,
    cancelled: 0,
    protocolErrors: 0,
    peerLost: 0,
    ignoredEnvelopes: 0,
  };

  constructor(readonly host: DispatchHost) {
    // A client that went away (process died, network dropped, heartbeat
    // timed out) will never read an answer: stop its calls now rather than at
    // their deadlines.
    host.transport.on('disconnected', (e) => {
      if (e.peer !== undefined) this.#peerGone(e.peer);
    });
  }

  /** Reads the transport until it closes. */
  read(): Promise<void> {
    const t = this.host.transport;
    const onMessage = (peer: PeerId, bytes: Uint8Array) => this.#onMessage(peer, bytes);
    return readLoop(
      t,
      ({ peer, message }) => onMessage(peer, message),
      t.drainBuffered ? () => t.drainBuffered?.(onMessage) : undefined,
    );
  }

  /** Calls known now (running or queued). */
  get size(): number {
    let n = 0;
    for (const calls of this.#active.values()) n += calls.size;
    return n;
  }

  /** Every call known now. */
  all(): ServerCallRecord[] {
    const out: ServerCallRecord[] = [];
    for (const calls of this.#active.values()) out.push(...calls.values());
    return out;
  }

  /** Forgets `call`; false when it was not (or no longer) known. */
  delete(call: ServerCallRecord): boolean {
    const calls = this.#active.get(call.peer);
    if (calls?.get(call.callId) !== call) return false;
    calls.delete(call.callId);
    if (calls.size === 0) this.#active.delete(call.peer);
    return true;
  }

  #onMessage(peer: PeerId, bytes: Uint8Array): void {
    this.peers.add(peer);
    const { replies } = this.host;
    let env: Envelope;
    try {
      env = this.host.codec.decode(bytes) as Envelope;
    } catch (e) {
      this.stats.protocolErrors++;
      this.host.log.fromClient('malformed-envelope', peer, (e as Error).message);
      const header = peekHeader(bytes);
      if (!header) return;
      if (header.version !== PROTOCOL_VERSION) {
        replies.bare(
          peer,
          header.id,
          Code.FAILED_PRECONDITION,
          `unsupported protocol version ${header.version}; this server speaks ${PROTOCOL_VERSION}`,
        );
      } else if (header.kind === Kind.REQUEST) {
        replies.bare(
          peer,
          header.id,
          Code.INVALID_ARGUMENT,
          `request could not be decoded: ${(e as Error).message}`,
        );
      } else {
        this.#call(peer, header.id)?.abandon(
          new RpcError(Code.INVALID_ARGUMENT, 'malformed envelope'),
          true,
        );
      }
      return;
    }
    const problem = checkEnvelope(env);
    if (problem?.ignore) {
      this.stats.ignoredEnvelopes++;
      this.host.log.fromClient('ignored-envelope', peer, problem.message);
      return;
    }
    if (problem) {
      this.stats.protocolErrors++;
      this.host.log.fromClient('malformed-envelope', peer, problem.message);
      const id = Array.isArray(env) && typeof env[2] === 'number' ? env[2] : undefined;
      if (id !== undefined) {
        replies.bare(
          peer,
          id,
          problem.version ? Code.FAILED_PRECONDITION : Code.INVALID_ARGUMENT,
          problem.message,
        );
      }
      return;
    }
    const kind = env[1] as number;
    const id = env[2] as number;
    if (kind === Kind.REQUEST) {
      this.#onRequest(peer, id, env);
      return;
    }
    const call = this.#call(peer, id);
    if (!call || (kind !== Kind.CANCEL && !acceptsStreamEnvelopes(call))) {
      // An id with no call (late, or never started) or an envelope the call's kind has no use for.
      // Not logged: late envelopes after a call ended are a normal race.
      this.stats.ignoredEnvelopes++;
      return;
    }
    this.host.events.envelopeIn(call, env);
    if (kind === Kind.CANCEL) {
      this.stats.cancelled++;
      call.abandon(new RpcError(Code.CANCELLED, 'cancelled by the client'));
      return;
    }
    if (kind === Kind.DATA) call.observed('in', env[3]);
    if (call.onEnvelope) {
      call.onEnvelope(env, bytes.byteLength);
      return;
    }
    // Not yet handled by its method kind (queued, or validating): keep a few, in order.
    call.early ??= [];
    if (call.early.length >= MAX_EARLY) {
      call.abandon(
        new RpcError(Code.RESOURCE_EXHAUSTED, 'too many stream envelopes before the call started'),
        true,
      );
    } else call.early.push([env, bytes.byteLength]);
  }

  #peerGone(peer: PeerId): void {
    this.peers.delete(peer);
    const calls = this.#active.get(peer);
    if (!calls) return;
    const error = new RpcError(Code.UNAVAILABLE, 'the client disconnected');
    for (const call of [...calls.values()]) {
      this.stats.peerLost++;
      call.abandon(error);
    }
  }

  #call(peer: PeerId, id: number): ServerCallRecord | undefined {
    return this.#active.get(peer)?.get(id);
  }

  #onRequest(peer: PeerId, id: number, env: Envelope): void {
    const host = this.host;
    const { replies } = host;
    const path = env[3];
    const timeoutMs = env[4];
    const metadata = env[5];
    if (typeof path !== 'string' || typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      this.stats.protocolErrors++;
      this.host.log.fromClient('malformed-envelope', peer, 'malformed request envelope');
      replies.bare(peer, id, Code.INVALID_ARGUMENT, 'malformed request envelope');
      return;
    }
    const mdProblem = metadataProblem(metadata);
    if (mdProblem) {
      this.stats.protocolErrors++;
      this.host.log.fromClient('malformed-envelope', peer, mdProblem.message);
      replies.bare(peer, id, mdProblem.code, mdProblem.message);
      return;
    }
    const method = host.methods.get(path);
    if (!method) {
      const slash = path.indexOf('/');
      const what = host.services.has(path.slice(0, slash)) ? 'method' : 'service';
      replies.bare(peer, id, Code.UNIMPLEMENTED, `unknown ${what}: ${path}`);
      return;
    }
    const clientKind = requestKind(env);
    if (clientKind !== undefined && clientKind !== method.descriptor.kind) {
      // Served anyway, a kind mismatch hangs until the deadline or ends wrong.
      replies.bare(
        peer,
        id,
        Code.UNIMPLEMENTED,
        kindMismatchMessage(path, method.descriptor.kind, clientKind),
      );
      return;
    }
    if (host.draining && method.servesWhileDraining !== true) {
      replies.bare(peer, id, Code.UNAVAILABLE, 'server is draining');
      return;
    }
    let calls = this.#active.get(peer);
    if (!calls) {
      calls = new Map();
      this.#active.set(peer, calls);
    } else if (calls.has(id)) {
      replies.bare(peer, id, Code.FAILED_PRECONDITION, `call id ${id} is already in use`);
      return;
    }
    const call = new ServerCallRecord(
      host,
      peer,
      id,
      method,
      (metadata as Metadata | null) ?? {},
      timeoutMs,
      env[6],
    );
    host.events.started(call, call.metadata);
    host.events.message(call, 'in', Kind.REQUEST, call.metadata, call.payload);
    if (!host.admission.open) {
      this.stats.rejected++;
      if (calls.size === 0) this.#active.delete(peer);
      replies.bare(peer, id, Code.RESOURCE_EXHAUSTED, 'server overloaded', {
        [MetadataKey.RETRY_AFTER_MS]: host.retryAfter,
      });
      return;
    }
    calls.set(id, call);
    if (Number.isFinite(call.deadlineAt))
      call.deadlineKey = host.deadlines.add(call, call.deadlineAt);
    host.admission.admit(call);
  }
}
