/**
 * The server side of request/response on the libzmq engine: one zeromq.js
 * ROUTER (mandatory: nothing is dropped silently) bound to one or more
 * endpoints. What both engines share is in {@link ServerCore}; here are the
 * socket calls: peers learnt from ZMQ_ROUTER_NOTIFY messages, and a writer
 * that serves peers round robin and backs off a full one while the others
 * go on.
 */

import { Router } from 'zeromq';
import { openCurveServerSocket, setUpCurveServer, zapAllowList } from './curve-socket.js';
import { resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import { ServerCore, type ServerPeer } from './server-core.js';
import type { ServerTransportOptions, ZmqServerTransport } from './server-transport.js';
import {
  bindLibzmq,
  closeLibzmq,
  errnoCode,
  queueSocketOptions,
  receiveOrClosed,
} from './socket-options.js';
import { DONE, handshakeFailedEvent, observe } from './transport-core.js';
import type { Inbound, PeerId } from './types.js';
import type { ZapRegistration } from './zap-authenticator.js';

/** ZMQ_ROUTER_NOTIFY (draft in libzmq 4.3, compiled into zeromq.js 6). */
const ZMQ_ROUTER_NOTIFY = 97;
/** ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT. */
const NOTIFY_CONNECT_AND_DISCONNECT = 3;
/** Tombstones of peers that vanished before their disconnect notification, at most. */
const MAX_GONE = 4096;
/** Longest a full peer is left alone before its burst is retried. */
const MAX_BACKOFF_MS = 32;
const GONE_REASON = 'peer disconnected before the message was sent';

interface Peer extends ServerPeer {
  /** In the writer's ready ring. */
  ready: boolean;
  /** Not before this time (performance.now()) will the writer try this peer again. */
  backoffUntil: number;
  backoffMs: number;
  /** The burst built for this peer that libzmq refused with EAGAIN; re-sent as is. */
  pending: Uint8Array[] | null;
  pendingCount: number;
}

/** ROUTER-based server transport on zeromq.js. */
class ZmqServer extends ServerCore<Peer> {
  private readonly socket: Router;
  protected readonly socketState: Router;
  private readonly zap: ZapRegistration | undefined;
  /** Peers removed after EHOSTUNREACH whose disconnect notification is still to come. */
  private readonly gone = new Set<PeerId>();
  private readyRing: Peer[] = [];
  private readyHead = 0;
  /** Peers left with less than a full burst: served on the next turn, when more may have queued. */
  private deferred: Peer[] = [];
  private scheduled = false;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    this.write();
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
    else if (!this.writing && !this.scheduled) this.write();
  };
  private writing = false;

  constructor(options: ServerTransportOptions) {
    const o = resolveOptions(options);
    const security = setUpCurveServer(options.curve, options.allowedClientKeys);
    super(o, zapAllowList(security));
    this.zap = security.zap;
    this.socket = openCurveServerSocket(
      security,
      (curveServer) =>
        new Router({
          ...queueSocketOptions(o),
          sendTimeout: o.sendTimeoutMs,
          // Never drop silently: unknown peers fail with EHOSTUNREACH, full ones
          // with EAGAIN, and both are handled per peer by the writer.
          mandatory: true,
          ...curveServer,
        }),
    );
    this.socketState = this.socket;
    // Peer lifecycle as messages ([routing id, empty frame]) in the data
    // stream: the only way zeromq.js tells which routing id went away.
    (
      this.socket as unknown as { setInt32Option(option: number, value: number): void }
    ).setInt32Option(ZMQ_ROUTER_NOTIFY, NOTIFY_CONNECT_AND_DISCONNECT);
    observe(this.socket, {
      handshakeFailed: (address, reason, code) => {
        this.handshakeFailures++;
        this.emitter.emit('handshakeFailed', handshakeFailedEvent(address, reason, code));
      },
    });
  }

  protected bind(endpoint: string): Promise<string> {
    // bindSync: an async bind blocks the socket (EBUSY) for the writer and
    // reader loops that may already run.
    return Promise.resolve(bindLibzmq(this.socket, endpoint));
  }

  protected queued(p: Peer): void {
    if (!p.ready) this.enqueueReady(p);
    else if (
      p.out.size >= this.opts.burst.flushAt &&
      !this.writing &&
      !this.flushedEarly &&
      this.sleeping === null
    ) {
      // Pipelining, once per turn, as in the client transport (BurstOptions.flushAt).
      this.flushedEarly = true;
      this.write();
    }
  }

  protected flush(): void {
    // The writer runs whenever something is queued; close only waits for it.
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

  private write(): void {
    void this.writeLoop();
  }

  /**
   * The writer loop: serves peers round robin, one burst each, so one slow
   * peer never holds up the others. The only caller of `socket.send`.
   */
  private async writeLoop(): Promise<void> {
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
      n = this.writer.plan(out.items, out.head, out.items.length);
      frames = this.writer.frames(out.items, out.head, peer.rid);
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
          this.removePeer(peer, GONE_REASON);
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
    this.sentTo(peer, n);
    this.requeue(peer);
  }

  private requeue(peer: Peer): void {
    const out = peer.out;
    if (out.size === 0) {
      peer.ready = false;
      return;
    }
    this.writer.plan(out.items, out.head, out.items.length);
    if (!this.writer.partial(out.size)) {
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

  protected override removePeer(peer: Peer, reason: string): boolean {
    peer.ready = false;
    peer.pending = null;
    return super.removePeer(peer, reason);
  }

  private newPeer(id: PeerId, rid: Buffer): void {
    this.addPeer({
      id,
      rid,
      out: new Outbox(),
      ready: false,
      backoffUntil: 0,
      backoffMs: 0,
      pending: null,
      pendingCount: 0,
    });
  }

  /** A ZMQ_ROUTER_NOTIFY message: a peer connected or went away. */
  private onNotify(rid: Buffer): void {
    const id = rid.toString('latin1');
    const peer = this.peers.get(id);
    if (peer !== undefined) {
      this.removePeer(peer, GONE_REASON);
      this.peerGone(id);
    } else if (this.gone.delete(id)) {
      this.peerGone(id);
    } else {
      this.newPeer(id, rid);
    }
  }

  protected closeSocket(): Promise<void> {
    this.sleeping?.wake();
    closeLibzmq(this.socket, this.opts.lingerMs);
    this.zap?.release();
    return Promise.resolve();
  }

  protected readonly receive = async (): Promise<IteratorResult<Inbound>> => {
    for (;;) {
      const frames = await receiveOrClosed(this.socket);
      if (frames === null) return DONE;
      const rid = frames[0]!;
      if (frames.length === 2 && frames[1]!.length === 0) {
        this.onNotify(rid);
        continue;
      }
      const id = rid.toString('latin1');
      // Normally announced by the connect notification. inproc connections
      // have none (libzmq sends them from the network session), and a peer can
      // reappear after it sent an empty frame that looked like a notification.
      if (!this.peers.has(id) && !this.gone.has(id)) this.newPeer(id, rid);
      const head = this.decoder.accept(frames, 1, id);
      if (head !== null) return { done: false, value: this.firstFrom(id, head, frames[2]) };
    }
  };
}

/** Creates a server transport on the libzmq engine (tcp://, ipc://, inproc://). */
export function createLibzmqServerTransport(options: ServerTransportOptions): ZmqServerTransport {
  return new ZmqServer(options);
}
