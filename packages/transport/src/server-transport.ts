/**
 * The server side of request/response: one ROUTER bound to one or more
 * endpoints, with a send queue per peer.
 */

import { Router } from 'zeromq';
import type { ServerCurveOptions } from './curve.js';
import { checkAllowedKeys, setUpCurveServer } from './curve-socket.js';
import { EngineChoosingServer } from './engine-server-transport.js';
import { TransportError } from './errors.js';
import {
  BurstCursor,
  checkFrames,
  LARGE_TAG_FRAME,
  planBurst,
  TAG_LARGE,
  writeBurst,
} from './framing.js';
import { type ResolvedOptions, resolveOptions, type TransportOptions } from './options.js';
import { Outbox } from './outbox.js';
import {
  boundEndpoint,
  closedError,
  commonSocketOptions,
  endpointError,
  errnoCode,
  normalizeBindEndpoint,
  queueFullError,
  tooLargeError,
  waitAtMost,
} from './socket-options.js';
import { DONE, observe, RESOLVED, TransportCore } from './transport-core.js';
import type { Inbound, PeerId, ServerTransport, TransportStats } from './types.js';
import type { ZapRegistration } from './zap-authenticator.js';
import { chooseEngine, type TransportEngine } from './zmtp-options.js';
import { zmtpCurveServer } from './zmtp-security.js';
import { createZmtpServerTransport } from './zmtp-server-transport.js';

/** Options of {@link createServerTransport}. */
export interface ServerTransportOptions extends TransportOptions {
  /**
   * CURVE encryption (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY). Without
   * `allowedClientKeys` any client that knows the public key gets in.
   * Default: none (plain TCP).
   */
  readonly curve?: ServerCurveOptions;
  /**
   * Z85 public keys of the clients allowed in (needs `curve`). Enforced by the
   * process-wide ZAP handler with ZMQ_ZAP_DOMAIN + ZMQ_ZAP_ENFORCE_DOMAIN, so it
   * fails closed: if the handler is gone nobody gets in. Replace at runtime
   * with `setAllowedClientKeys`. Default: no allow-list.
   */
  readonly allowedClientKeys?: Iterable<string>;
}

/** Counters of a server transport: the common ones plus security and peers. */
export interface ServerTransportStats extends TransportStats {
  /** Peers currently connected (as announced by ZMQ_ROUTER_NOTIFY). */
  peers: number;
  /** Handshakes that failed on this server (wrong key, not allowed, mechanism mismatch). */
  handshakeFailures: number;
  /** Clients the allow-list refused (0 without an allow-list). */
  authDenied: number;
}

/** The ZeroMQ {@link ServerTransport}, with what only a server has. */
export interface ZmqServerTransport extends ServerTransport {
  /** Counters, including peers and handshake failures. */
  stats(): ServerTransportStats;
  /** True when a send to `peer` now would wait (`sendQueueDepth` or `sendQueueBytes` reached). */
  isFull(peer: PeerId): boolean;
  /**
   * Replaces the allow-list of client public keys (Z85). Affects new
   * handshakes only. Throws `TypeError` when the server has no allow-list.
   */
  setAllowedClientKeys(keys: Iterable<string>): void;
}

/** ZMQ_ROUTER_NOTIFY (draft in libzmq 4.3, compiled into zeromq.js 6). */
const ZMQ_ROUTER_NOTIFY = 97;
/** ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT. */
const NOTIFY_CONNECT_AND_DISCONNECT = 3;
/** Tombstones of peers that vanished before their disconnect notification, at most. */
const MAX_GONE = 4096;
/** Longest a full peer is left alone before its burst is retried. */
const MAX_BACKOFF_MS = 32;

interface Peer {
  readonly id: PeerId;
  /** The routing id as received; cached so sends do not re-encode the string. */
  readonly rid: Buffer;
  readonly out: Outbox;
  /** In the writer's ready ring. */
  ready: boolean;
  /** Not before this time (performance.now()) will the writer try this peer again. */
  backoffUntil: number;
  backoffMs: number;
  /** The burst built for this peer that libzmq refused with EAGAIN; re-sent as is. */
  pending: Array<Buffer | Uint8Array> | null;
  pendingCount: number;
}

/** ROUTER-based {@link ServerTransport}. */
class ZmqServer extends TransportCore implements ZmqServerTransport {
  private readonly socket: Router;
  private readonly opts: ResolvedOptions;
  private readonly bound: string[] = [];
  private readonly peers = new Map<PeerId, Peer>();
  /** Peers removed after EHOSTUNREACH whose disconnect notification is still to come. */
  private readonly gone = new Set<PeerId>();
  private readyRing: Peer[] = [];
  private readyHead = 0;
  /** Peers left with less than a full burst: served on the next turn, when more may have queued. */
  private deferred: Peer[] = [];
  private writing = false;
  private scheduled = false;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private readonly plan = { count: 0, bytes: 0 };
  private totalQueued = 0;
  private handshakeFailures = 0;
  private readonly zap: ZapRegistration | undefined;
  private readonly hasAllowList: boolean;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  // Receive state.
  private readonly burst = new BurstCursor();
  private framePeer: PeerId = '';
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    void this.write();
  };
  /** A burst left early (flushAt) in this turn: the rest waits for its end, in full bursts. */
  private flushedEarly = false;
  private deferScheduled = false;
  private readonly flushDeferred = (): void => {
    this.deferScheduled = false;
    this.flushedEarly = false;
    const deferred = this.deferred;
    this.deferred = [];
    for (const p of deferred) {
      if (p.ready) this.readyRing.push(p);
    }
    if (this.sleeping !== null) this.sleeping.wake();
    else if (!this.writing && !this.scheduled) void this.write();
  };

  constructor(options: ServerTransportOptions) {
    super();
    this.opts = resolveOptions(options);
    const o = this.opts;
    const security = setUpCurveServer(options.curve, options.allowedClientKeys, {
      curve: 'curve',
      allowed: 'allowedClientKeys',
    });
    this.zap = security.zap;
    this.hasAllowList = security.hasAllowList;
    try {
      this.socket = new Router({
        ...commonSocketOptions(o),
        sendHighWaterMark: o.sendHighWaterMark,
        receiveHighWaterMark: o.receiveHighWaterMark,
        sendTimeout: o.sendTimeoutMs,
        // Never drop silently: unknown peers fail with EHOSTUNREACH, full ones
        // with EAGAIN, and both are handled per peer by the writer.
        mandatory: true,
        ...security.socketOptions,
      });
    } catch (error) {
      this.zap?.release();
      throw error;
    }
    // Peer lifecycle as messages ([routing id, empty frame]) in the data
    // stream: the only way zeromq.js tells which routing id went away.
    (
      this.socket as unknown as { setInt32Option(option: number, value: number): void }
    ).setInt32Option(ZMQ_ROUTER_NOTIFY, NOTIFY_CONNECT_AND_DISCONNECT);
    observe(this.socket, {
      handshakeFailed: (address, reason, code) => {
        this.handshakeFailures++;
        this.emitter.emit(
          'handshakeFailed',
          code === undefined ? { endpoint: address, reason } : { endpoint: address, reason, code },
        );
      },
    });
  }

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
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
      authDenied: this.zap?.stats().denied ?? 0,
    };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    if (this.zap === undefined || !this.hasAllowList) {
      throw new TypeError('this server was created without allowedClientKeys');
    }
    this.zap.setAllowedKeys(checkAllowedKeys('allowedClientKeys', keys));
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    try {
      // bindSync: an async bind blocks the socket (EBUSY) for the writer and
      // reader loops that may already run.
      this.socket.bindSync(normalizeBindEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
    const real = boundEndpoint(endpoint, this.socket.lastEndpoint);
    this.bound.push(real);
    return real;
  }

  private endpointLabel(): string {
    return this.bound.length === 1 ? this.bound[0]! : this.bound.join(',');
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
      if (!p.ready) this.enqueueReady(p);
      else if (
        out.size >= o.burst.flushAt &&
        !this.writing &&
        !this.flushedEarly &&
        this.sleeping === null
      ) {
        // Pipelining, once per turn, as in the client transport (BurstOptions.flushAt).
        this.flushedEarly = true;
        void this.write();
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message);
  }

  isFull(peer: PeerId): boolean {
    const p = this.peers.get(peer);
    if (p === undefined) return false;
    return p.out.isFull(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
  }

  private enqueueReady(p: Peer): void {
    p.ready = true;
    this.readyRing.push(p);
    if (this.sleeping !== null) {
      // The writer waits for a backed-off peer; a fresh peer can go now.
      if (p.backoffUntil === 0) this.sleeping.wake();
    } else if (!this.writing && !this.scheduled) {
      this.flushedEarly = false;
      this.scheduled = true;
      setImmediate(this.runWriter);
    }
  }

  /**
   * The writer loop: serves peers round robin, one burst each, so one slow
   * peer never holds up the others. The only caller of `socket.send`.
   */
  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.readyHead < this.readyRing.length && !this.socket.closed) {
        const peer = this.nextReady();
        if (peer === null) {
          await this.sleepUntilBackoff();
          continue;
        }
        await this.serve(peer);
      }
    } finally {
      this.writing = false;
      if (this.readyHead >= this.readyRing.length) {
        this.readyRing = [];
        this.readyHead = 0;
      }
    }
    this.notifyDrained();
  }

  /** Takes the next peer that is not backing off, or null when all are. */
  private nextReady(): Peer | null {
    if (this.readyHead >= 1024 && this.readyHead * 2 >= this.readyRing.length) {
      this.readyRing = this.readyRing.slice(this.readyHead);
      this.readyHead = 0;
    }
    const ring = this.readyRing;
    const n = ring.length - this.readyHead;
    let now = -1;
    for (let i = 0; i < n; i++) {
      const p = ring[this.readyHead++]!;
      if (p.backoffUntil === 0) return p;
      if (now < 0) now = performance.now();
      if (p.backoffUntil <= now) return p;
      ring.push(p);
    }
    return null;
  }

  private sleepUntilBackoff(): Promise<void> {
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = this.readyHead; i < this.readyRing.length; i++) {
      earliest = Math.min(earliest, this.readyRing[i]!.backoffUntil);
    }
    const ms = Math.max(0, Math.ceil(earliest - performance.now()));
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        if (this.sleeping === null) return;
        clearTimeout(this.sleeping.timer);
        this.sleeping = null;
        resolve();
      };
      this.sleeping = { timer: setTimeout(wake, ms), wake };
    });
  }

  /** Sends one burst to `peer` and puts it back in the ring if more is queued. */
  private async serve(peer: Peer): Promise<void> {
    const out = peer.out;
    if (!peer.ready || out.size === 0) {
      // Failed (gone) or emptied since it was queued.
      peer.ready = false;
      return;
    }
    let frames = peer.pending;
    let n = peer.pendingCount;
    if (frames === null) {
      planBurst(out.items, out.head, out.items.length, this.opts.burst, this.plan);
      if (this.plan.count === 0) {
        frames = [peer.rid, LARGE_TAG_FRAME, out.items[out.head]!];
        n = 1;
      } else {
        n = this.plan.count;
        frames = [peer.rid, writeBurst(out.items, out.head, n, this.plan.bytes)];
      }
    }
    const socket = this.socket;
    const epoch = out.epoch;
    const half = this.opts.sendTimeoutMs / 2;
    let timedOut = false;
    let started = 0;
    for (;;) {
      started = performance.now();
      try {
        await socket.send(frames);
      } catch (error) {
        if (socket.closed || epoch !== out.epoch) return;
        const code = errnoCode(error);
        if (code === 'EAGAIN') {
          if (performance.now() - started >= half) {
            // Waited the whole ZMQ_SNDTIMEO: every peer is full, or the
            // wake-up was lost (FACTS.md). Retry at once; if that goes
            // through at once it was the lost wake-up. (Not `socket.writable`:
            // reading ZMQ_EVENTS can swallow a pending receive's signal.)
            timedOut = true;
            continue;
          }
          // Refused at once: this peer's pipe is full while another peer
          // keeps the socket writable. Keep the burst, serve the others.
          peer.pending = frames;
          peer.pendingCount = n;
          peer.backoffMs = Math.min(MAX_BACKOFF_MS, peer.backoffMs === 0 ? 1 : peer.backoffMs * 2);
          peer.backoffUntil = performance.now() + peer.backoffMs;
          this.readyRing.push(peer);
          return;
        }
        if (code === 'EHOSTUNREACH') {
          this.removePeer(peer, 'peer disconnected before the message was sent');
          this.gone.add(peer.id);
          // Cleared by the disconnect notification, which inproc peers never
          // send: keep the set bounded (oldest first).
          if (this.gone.size > MAX_GONE) this.gone.delete(this.gone.values().next().value!);
          return;
        }
        // Unexpected: drop this burst rather than retry forever.
        peer.pending = null;
        out.shift(n);
        this.totalQueued -= n;
        this.drop(`send failed: ${code ?? String(error)}`, n, peer.id);
        this.requeue(peer);
        return;
      }
      break;
    }
    if (timedOut && performance.now() - started < half) this.counters.wakeupRescues++;
    // Removed (disconnect notification) or cleared (close) while the send was
    // in flight: its messages were already accounted for.
    if (epoch !== out.epoch) return;
    peer.pending = null;
    peer.backoffMs = 0;
    peer.backoffUntil = 0;
    out.shift(n);
    this.totalQueued -= n;
    this.counters.zmqOut++;
    if (n > 1) this.counters.bursts++;
    if (out.hasWaiters) {
      const admitted = out.admit(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
      this.totalQueued += admitted;
      this.counters.messagesOut += admitted;
    }
    this.requeue(peer);
  }

  private requeue(peer: Peer): void {
    const out = peer.out;
    if (out.size === 0) {
      peer.ready = false;
      return;
    }
    planBurst(out.items, out.head, out.items.length, this.opts.burst, this.plan);
    if (this.plan.count !== out.size) {
      this.readyRing.push(peer);
      return;
    }
    // Less than a full burst left: serve it on the next turn, when this
    // turn's senders have added to it (see client-transport.ts).
    this.deferred.push(peer);
    if (!this.deferScheduled) {
      this.deferScheduled = true;
      setImmediate(this.flushDeferred);
    }
  }

  /** Forgets a peer: its queued messages are counted as drops, its waiting senders fail. */
  private removePeer(peer: Peer, reason: string): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.ready = false;
    peer.pending = null;
    peer.out.rejectWaiters(unreachable(peer.id));
    const left = peer.out.clear();
    this.totalQueued -= left;
    this.drop(reason, left, peer.id);
  }

  private addPeer(id: PeerId, rid: Buffer): Peer {
    const peer: Peer = {
      id,
      rid,
      out: new Outbox(),
      ready: false,
      backoffUntil: 0,
      backoffMs: 0,
      pending: null,
      pendingCount: 0,
    };
    this.peers.set(id, peer);
    return peer;
  }

  /** A ZMQ_ROUTER_NOTIFY message: a peer connected or went away. */
  private onNotify(rid: Buffer): void {
    const id = rid.toString('latin1');
    const peer = this.peers.get(id);
    if (peer !== undefined) {
      this.removePeer(peer, 'peer disconnected before the message was sent');
      this.emitter.emit('disconnected', {
        endpoint: this.endpointLabel(),
        peer: id,
        reason: 'disconnected',
      });
    } else if (this.gone.delete(id)) {
      this.emitter.emit('disconnected', {
        endpoint: this.endpointLabel(),
        peer: id,
        reason: 'disconnected',
      });
    } else {
      this.addPeer(id, rid);
      this.emitter.emit('connected', { endpoint: this.endpointLabel(), peer: id });
    }
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

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.closePromise = this.shutdown();
    }
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    if (this.totalQueued > 0) {
      await waitAtMost(this.drained(), this.opts.closeTimeoutMs);
    }
    for (const peer of this.peers.values()) {
      peer.out.rejectWaiters(closedError());
      const left = peer.out.clear();
      this.totalQueued -= left;
      this.drop('transport closed before the message was sent', left, peer.id);
    }
    this.sleeping?.wake();
    this.socket.linger = this.opts.lingerMs;
    // Not events.close(): closing an Observer in event-emitter mode makes
    // zeromq.js's internal receive loop reject (ENOTSOCK) with nobody to catch
    // it. Closing the socket stops the monitor, which ends the Observer cleanly.
    this.socket.close();
    this.zap?.release();
  }

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    return this.iterate(this.burst, this.socket, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (peer: PeerId, message: Uint8Array) => void): void {
    let frame = this.burst.frame;
    while (frame !== null && !this.closedFlag) {
      const entry = this.takeEntry();
      sink(entry.peer, entry.message);
      frame = this.burst.frame;
    }
  }

  private readonly takeEntry = (): Inbound => {
    this.counters.messagesIn++;
    return { peer: this.framePeer, message: this.burst.take() };
  };

  private readonly receive = async (): Promise<IteratorResult<Inbound>> => {
    const max = this.opts.maxMessageBytes;
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return DONE;
      }
      const rid = frames[0]!;
      if (frames.length === 2 && frames[1]!.length === 0) {
        this.onNotify(rid);
        continue;
      }
      this.counters.zmqIn++;
      const id = rid.toString('latin1');
      // Normally announced by the connect notification. inproc connections
      // have none (libzmq sends them from the network session), and a peer can
      // reappear after it sent an empty frame that looked like a notification.
      if (!this.peers.has(id) && !this.gone.has(id)) {
        this.addPeer(id, rid);
        this.emitter.emit('connected', { endpoint: this.endpointLabel(), peer: id });
      }
      const reason = checkFrames(frames, 1, max);
      if (reason !== undefined) {
        this.drop(reason, 1, id);
        continue;
      }
      const head = frames[1]!;
      if (head[0] === TAG_LARGE) {
        this.counters.messagesIn++;
        return { done: false, value: { peer: id, message: frames[2]! } };
      }
      this.burst.load(head);
      this.framePeer = id;
      return { done: false, value: this.takeEntry() };
    }
  };
}

function unreachable(peer: PeerId): TransportError {
  return new TransportError('UNREACHABLE', `peer ${JSON.stringify(peer)} is not connected`);
}

/**
 * Creates a server transport: a ROUTER (ZMQ_ROUTER_MANDATORY) that can
 * `listen()` on several endpoints. Peer ids are routing ids as latin1 strings.
 */
export function createServerTransport(options: ServerTransportOptions = {}): ZmqServerTransport {
  const create = (engine: TransportEngine): ZmqServerTransport =>
    engine === 'zmtp' ? createZmtpServerTransport(options) : new ZmqServer(options);
  if (options.engine !== undefined) return create(chooseEngine(options.engine));
  // Checked now, as an explicit engine would: the transport itself is made at listen().
  resolveOptions(options);
  zmtpCurveServer(options.curve, options.allowedClientKeys, {
    curve: 'curve',
    allowed: 'allowedClientKeys',
  });
  // The engine follows the first endpoint: inproc:// exists only in libzmq.
  return new EngineChoosingServer((endpoint) => chooseEngine(undefined, endpoint), create);
}
