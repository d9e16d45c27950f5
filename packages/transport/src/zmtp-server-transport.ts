/**
 * The server side of request/response on the zmtp engine: one `@xsmb/zmtp`
 * ROUTER (mandatory: nothing is dropped silently) bound to one or more
 * endpoints, with a bounded send queue per peer. The engine reports peers
 * joining and leaving directly, so no ROUTER_NOTIFY messages are needed.
 */

import { createRouter, type PeerInfo, type RouterSocket, type ZmtpError } from '@xsmb/zmtp';
import { checkAllowedKeys } from './curve-socket.js';
import { TransportError } from './errors.js';
import {
  BurstCursor,
  checkFrames,
  LARGE_TAG_FRAME,
  planBurst,
  TAG_LARGE,
  writeBurst,
} from './framing.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import { ReceiveQueue } from './receive-queue.js';
import type {
  ServerTransportOptions,
  ServerTransportStats,
  ZmqServerTransport,
} from './server-transport.js';
import { closedError, queueFullError, tooLargeError, waitAtMost } from './socket-options.js';
import { DONE, RESOLVED, TransportCore } from './transport-core.js';
import type { Inbound, PeerId } from './types.js';
import { describeZmtpFailure, zmtpEndpointError, zmtpSocketOptions } from './zmtp-options.js';
import { type ZmtpCurveServer, zmtpCurveServer } from './zmtp-security.js';

interface Peer {
  readonly id: PeerId;
  /** The routing id the engine gave this peer. */
  readonly rid: Buffer;
  readonly out: Outbox;
  /** Waiting in the writer's list. */
  queued: boolean;
}

/** A received ZeroMQ message with its sender. */
type Received =
  | { readonly peer: PeerId; readonly burst: Buffer }
  | { readonly peer: PeerId; readonly large: Uint8Array };

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unreachable(peer: PeerId): TransportError {
  return new TransportError('UNREACHABLE', `peer ${JSON.stringify(peer)} is not connected`);
}

/** ROUTER-based server transport on `@xsmb/zmtp`. */
class ZmtpServer extends TransportCore implements ZmqServerTransport {
  private readonly socket: RouterSocket;
  private readonly security: ZmtpCurveServer;
  private readonly opts: ResolvedOptions;
  private readonly bound: string[] = [];
  private readonly peers = new Map<PeerId, Peer>();
  /** The engine hands the same routing-id Buffer for every message of a peer. */
  private readonly byRid = new Map<Buffer, Peer>();
  /** Peers with queued messages, in the order they became ready. */
  private writeList: Peer[] = [];
  /** Peers the engine refused (full); retried on its `drain`. */
  private blocked: Peer[] = [];
  private scheduled = false;
  private flushedEarly = false;
  private readonly plan = { count: 0, bytes: 0 };
  private totalQueued = 0;
  private handshakeFailures = 0;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  private readonly inbox: ReceiveQueue<Received>;
  private readonly burst = new BurstCursor();
  private framePeer: PeerId = '';
  private readonly ended = { closed: false };
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    this.write();
  };

  constructor(options: ServerTransportOptions) {
    super();
    this.security = zmtpCurveServer(options.curve, options.allowedClientKeys, {
      curve: 'curve',
      allowed: 'allowedClientKeys',
    });
    const mechanism = this.security.mechanism;
    this.opts = resolveOptions(options);
    const o = this.opts;
    this.socket = createRouter({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      mandatory: true,
      onMessage: (rid, frames) => this.onMessage(rid, frames),
    });
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => this.socket.pause(),
      () => this.socket.resume(),
    );
    const socket = this.socket;
    socket.on('connect', (info) => this.onPeerConnect(info));
    socket.on('disconnect', (info) => this.onPeerDisconnect(info));
    socket.on('handshakeFailed', (endpoint: string, error: ZmtpError) => {
      this.handshakeFailures++;
      this.emitter.emit('handshakeFailed', { endpoint, ...describeZmtpFailure(error) });
    });
    socket.on('drain', () => {
      const blocked = this.blocked;
      this.blocked = [];
      for (const p of blocked) {
        p.queued = false;
        this.enqueue(p);
      }
      this.write();
    });
  }

  get endpoints(): readonly string[] {
    return this.bound;
  }

  protected queueDepth(): number {
    return this.totalQueued;
  }

  override stats(): ServerTransportStats {
    return {
      ...this.counters,
      queueDepth: this.totalQueued,
      peers: this.peers.size,
      handshakeFailures: this.handshakeFailures,
      authDenied: this.security.denied(),
    };
  }
  setAllowedClientKeys(keys: Iterable<string>): void {
    if (!this.security.hasAllowList) {
      throw new TypeError('this server was created without allowedClientKeys');
    }
    this.security.setAllowedKeys(checkAllowedKeys('allowedClientKeys', keys));
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    if (endpoint.startsWith('inproc://')) {
      throw new TransportError(
        'INVALID_ENDPOINT',
        `inproc:// needs engine: 'libzmq' (${endpoint})`,
      );
    }
    let real: string;
    try {
      real = await this.socket.bind(endpoint);
    } catch (cause) {
      throw zmtpEndpointError(endpoint, cause);
    }
    this.bound.push(real);
    return real;
  }

  private endpointLabel(): string {
    return this.bound.length === 1 ? this.bound[0]! : this.bound.join(',');
  }

  private onPeerConnect(info: PeerInfo): void {
    const rid = info.routingId as Buffer;
    const id = rid.toString('latin1');
    const peer: Peer = { id, rid, out: new Outbox(), queued: false };
    this.peers.set(id, peer);
    this.byRid.set(rid, peer);
    this.emitter.emit('connected', { endpoint: this.endpointLabel(), peer: id });
  }

  private onPeerDisconnect(info: PeerInfo): void {
    const rid = info.routingId as Buffer;
    const peer = this.byRid.get(rid);
    if (peer === undefined) return;
    this.byRid.delete(rid);
    this.removePeer(peer, 'peer disconnected before the message was sent');
    this.emitter.emit('disconnected', {
      endpoint: this.endpointLabel(),
      peer: peer.id,
      reason: 'disconnected',
    });
  }

  private removePeer(peer: Peer, reason: string): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.out.rejectWaiters(unreachable(peer.id));
    const left = peer.out.clear();
    this.totalQueued -= left;
    this.drop(reason, left, peer.id);
    this.notifyDrained();
  }

  isFull(peer: PeerId): boolean {
    const p = this.peers.get(peer);
    if (p === undefined) return false;
    return p.out.isFull(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
  }

  send(peer: PeerId, message: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    const o = this.opts;
    if (message.length > o.maxMessageBytes) {
      return Promise.reject(tooLargeError(message.length, o.maxMessageBytes));
    }
    const p = this.peers.get(peer);
    if (p === undefined) return Promise.reject(unreachable(peer));
    const out = p.out;
    if (out.size < o.sendQueueDepth && out.bytes < o.sendQueueBytes && !out.hasWaiters) {
      out.push(message);
      this.totalQueued++;
      this.counters.messagesOut++;
      if (!p.queued) this.enqueue(p);
      if (out.size >= o.burst.flushAt && !this.flushedEarly) {
        // Pipelining (BurstOptions.flushAt), once per turn.
        this.flushedEarly = true;
        this.write();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.runWriter);
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message);
  }

  private enqueue(p: Peer): void {
    if (p.queued) return;
    p.queued = true;
    this.writeList.push(p);
  }

  /**
   * Serves the peers with queued messages, one burst each per round, so a
   * peer with a long queue does not hold up the others; a full peer waits
   * for the engine's `drain`.
   */
  private write(): void {
    while (this.writeList.length > 0 && !this.ended.closed) {
      const list = this.writeList;
      this.writeList = [];
      for (const p of list) {
        p.queued = false;
        if (this.peers.get(p.id) !== p || p.out.size === 0) continue;
        if (this.serve(p) && p.out.size > 0) this.enqueue(p);
      }
    }
    this.notifyDrained();
  }

  /** Sends one burst to `p`; false when the engine refused it (full or gone). */
  private serve(p: Peer): boolean {
    const out = p.out;
    planBurst(out.items, out.head, out.items.length, this.opts.burst, this.plan);
    let frames: Uint8Array[];
    let n: number;
    if (this.plan.count === 0) {
      frames = [LARGE_TAG_FRAME, out.items[out.head]!];
      n = 1;
    } else {
      n = this.plan.count;
      frames = [writeBurst(out.items, out.head, n, this.plan.bytes)];
    }
    let accepted: boolean;
    try {
      accepted = this.socket.send(p.rid, frames);
    } catch {
      // UNREACHABLE: gone before its disconnect event reached us.
      this.removePeer(p, 'peer disconnected before the message was sent');
      return false;
    }
    if (!accepted) {
      this.blocked.push(p);
      p.queued = true;
      return false;
    }
    out.shift(n);
    this.totalQueued -= n;
    this.counters.zmqOut++;
    if (n > 1) this.counters.bursts++;
    if (out.hasWaiters) {
      const admitted = out.admit(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
      this.totalQueued += admitted;
      this.counters.messagesOut += admitted;
    }
    return true;
  }

  private notifyDrained(): void {
    if (this.totalQueued > 0 || this.drainWaiters.length === 0) return;
    for (const p of this.peers.values()) if (p.out.hasWaiters) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private drained(): Promise<void> {
    let waiting = this.totalQueued > 0;
    if (!waiting) for (const p of this.peers.values()) if (p.out.hasWaiters) waiting = true;
    if (!waiting) return RESOLVED;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private onMessage(rid: Buffer, frames: Uint8Array[]): void {
    this.counters.zmqIn++;
    const peer = this.byRid.get(rid);
    const id = peer !== undefined ? peer.id : rid.toString('latin1');
    const reason = checkFrames(frames, 0, this.opts.maxMessageBytes);
    if (reason !== undefined) {
      this.drop(reason, 1, id);
      return;
    }
    const head = frames[0]!;
    this.inbox.push(
      head[0] === TAG_LARGE ? { peer: id, large: frames[1]! } : { peer: id, burst: asBuffer(head) },
    );
  }

  private open(item: Received | undefined): IteratorResult<Inbound> {
    if (item === undefined || this.closedFlag) return DONE;
    if ('large' in item) {
      this.counters.messagesIn++;
      return { done: false, value: { peer: item.peer, message: item.large } };
    }
    this.burst.load(item.burst);
    this.framePeer = item.peer;
    return { done: false, value: this.takeEntry() };
  }

  private readonly receive = (): Promise<IteratorResult<Inbound>> =>
    this.inbox.next().then((item) => this.open(item));

  private readonly takeEntry = (): Inbound => {
    this.counters.messagesIn++;
    return { peer: this.framePeer, message: this.burst.take() };
  };

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    return this.iterate(this.burst, this.ended, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (peer: PeerId, message: Uint8Array) => void): void {
    while (this.burst.frame !== null && !this.closedFlag) {
      const entry = this.takeEntry();
      sink(entry.peer, entry.message);
    }
  }

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.closePromise = this.shutdown();
    }
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    if (this.totalQueued > 0) {
      this.write();
      await waitAtMost(this.drained(), this.opts.closeTimeoutMs);
    }
    for (const peer of this.peers.values()) {
      peer.out.rejectWaiters(closedError());
      const left = peer.out.clear();
      this.totalQueued -= left;
      this.drop('transport closed before the message was sent', left, peer.id);
    }
    this.ended.closed = true;
    this.inbox.end();
    await this.socket.close();
  }
}

/** Creates a server transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpServerTransport(
  options: ServerTransportOptions = {},
): ZmqServerTransport {
  return new ZmtpServer(options);
}
