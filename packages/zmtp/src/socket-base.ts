/**
 * What every zmtp socket shares: bind/connect over tcp and ipc, reconnect
 * with exponential backoff, listeners with a bound on pending handshakes,
 * pause/resume, close with linger, stats and the transport events.
 */
import { unlinkSync } from 'node:fs';
import * as net from 'node:net';
import { Connection, type ConnectionOwner, type DisconnectReason } from './connection.js';
import { ZmtpEmitter } from './emitter.js';
import { type Endpoint, formatEndpoint, parseEndpoint } from './endpoint.js';
import { ZmtpError } from './errors.js';
import { type ResolvedOptions, resolveOptions, type SocketOptions } from './options.js';
import type { SocketType } from './socket-type.js';

/** What the events tell about one peer connection. */
export interface PeerInfo {
  /** The endpoint this connection belongs to (the one connected to, or the bound one). */
  readonly endpoint: string;
  /** The peer's address, `host:port` for tcp. */
  readonly remoteAddress: string;
  /** ROUTER only: the peer's routing id. */
  readonly routingId?: Uint8Array;
  /** The peer's READY properties (names lower-cased). */
  readonly properties: ReadonlyMap<string, Uint8Array>;
  /** The peer's public key (CURVE server side). */
  readonly publicKey?: Uint8Array;
}

/** Events of every socket (each listener gets the listed arguments). */
export interface BaseEvents {
  /** A peer finished its handshake. */
  connect: [peer: PeerInfo];
  /** A ready peer went away. */
  disconnect: [peer: PeerInfo, reason: DisconnectReason, error: ZmtpError | undefined];
  /**
   * A connection failed before or during the handshake; `remoteAddress` is
   * the peer's address (`host:port` for tcp).
   */
  handshakeFailed: [endpoint: string, error: ZmtpError, remoteAddress: string];
  /** After `send` returned false, some peer can take messages again. */
  drain: [];
}

/** Counters of one socket. */
export interface SocketStats {
  messagesIn: number;
  messagesOut: number;
  framesIn: number;
  framesOut: number;
  /** Messages dropped, by reason: `hwm` (peer full), `unroutable` (ROUTER unknown id), `filtered` (SUB no match). */
  drops: { hwm: number; unroutable: number; filtered: number };
  /** Ready connections now. */
  connections: number;
  /** Connections that reached ready, ever. */
  connectionsTotal: number;
  handshakeFailures: number;
  disconnects: number;
}

/** Internal per-connection record. */
export interface Peer {
  readonly conn: Connection;
  readonly endpoint: string;
  readonly dialer: Dialer | undefined;
  info: PeerInfo | undefined;
}

interface Dialer {
  readonly endpoint: string;
  readonly parsed: Endpoint;
  conn: Connection | undefined;
  socket: net.Socket | undefined;
  timer: NodeJS.Timeout | undefined;
  delay: number;
  stopped: boolean;
}

interface Listener {
  readonly server: net.Server;
  readonly endpoint: string;
  readonly ipcPath: string | undefined;
  pending: number;
}

/** The shared engine of DEALER, ROUTER, XPUB and SUB. */
export abstract class SocketBase<E extends BaseEvents>
  extends ZmtpEmitter<E>
  implements ConnectionOwner
{
  /** Ready and handshaking connections. */
  protected readonly peers = new Set<Peer>();
  protected readonly opts: ResolvedOptions;
  protected readonly counters: SocketStats = {
    messagesIn: 0,
    messagesOut: 0,
    framesIn: 0,
    framesOut: 0,
    drops: { hwm: 0, unroutable: 0, filtered: 0 },
    connections: 0,
    connectionsTotal: 0,
    handshakeFailures: 0,
    disconnects: 0,
  };
  protected closed = false;
  private paused = false;
  private readonly listenersList: Listener[] = [];
  private readonly dialers: Dialer[] = [];

  protected constructor(
    private readonly socketType: SocketType,
    options: SocketOptions,
  ) {
    super();
    this.opts = resolveOptions(options);
  }

  /** Binds; resolves to the real endpoint (port 0 / `*` resolved). `ADDRESS_IN_USE` when taken. */
  bind(endpoint: string): Promise<string> {
    if (this.closed) return Promise.reject(new ZmtpError('CLOSED', 'socket closed'));
    let parsed: Endpoint;
    try {
      parsed = parseEndpoint(endpoint, true);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true, pauseOnConnect: false });
      const listener: Listener = {
        server,
        endpoint,
        ipcPath: parsed.transport === 'ipc' ? parsed.path : undefined,
        pending: 0,
      };
      let retried = false;
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EADDRINUSE' && parsed.transport === 'ipc' && !retried) {
          // A socket file left by a crashed process: if nobody answers on it, take it over (as libzmq does).
          retried = true;
          const probe = net.connect({ path: parsed.path });
          probe.once('connect', () => {
            probe.destroy();
            onError(err);
          });
          probe.once('error', () => {
            probe.destroy();
            try {
              unlinkSync(parsed.path);
            } catch {
              // Raced with someone else; listen reports it.
            }
            server.once('error', onError);
            server.listen(parsed.path, onListening);
          });
          return;
        }
        server.close();
        reject(
          err.code === 'EADDRINUSE'
            ? new ZmtpError('ADDRESS_IN_USE', `${endpoint} is in use`, { cause: err })
            : new ZmtpError('INVALID_ENDPOINT', `cannot bind ${endpoint}: ${err.message}`, {
                cause: err,
              }),
        );
      };
      server.once('error', onError);
      server.on('connection', (s: net.Socket) => this.accept(listener, s));
      const onListening = (): void => {
        server.on('error', () => {
          // Errors after listening (EMFILE on accept) must not crash the process.
        });
        if (this.closed) {
          server.close();
          reject(new ZmtpError('CLOSED', 'socket closed'));
          return;
        }
        const addr = server.address();
        const real =
          parsed.transport === 'ipc' || addr === null || typeof addr === 'string'
            ? endpoint
            : formatEndpoint({ transport: 'tcp', host: parsed.host, port: addr.port });
        (listener as { endpoint: string }).endpoint = real;
        this.listenersList.push(listener);
        resolve(real);
      };
      if (parsed.transport === 'ipc') server.listen(parsed.path, onListening);
      else server.listen(parsed.port, parsed.host, onListening);
    });
  }

  /** Connects (asynchronously, retried with backoff). Throws `INVALID_ENDPOINT` at once on a bad endpoint. */
  connect(endpoint: string): void {
    if (this.closed) throw new ZmtpError('CLOSED', 'socket closed');
    const parsed = parseEndpoint(endpoint, false);
    const dialer: Dialer = {
      endpoint,
      parsed,
      conn: undefined,
      socket: undefined,
      timer: undefined,
      delay: this.opts.reconnectIntervalMs,
      stopped: false,
    };
    this.dialers.push(dialer);
    this.dial(dialer);
  }

  /**
   * Undoes `connect(endpoint)` (every connect to that exact string): stops
   * reconnecting to it and closes its connection (flushed within
   * `lingerMs`), as libzmq's `zmq_disconnect`. Unknown endpoints are ignored.
   */
  disconnect(endpoint: string): void {
    if (this.closed) return;
    for (let i = this.dialers.length - 1; i >= 0; i--) {
      const d = this.dialers[i]!;
      if (d.endpoint !== endpoint) continue;
      this.dialers.splice(i, 1);
      d.stopped = true;
      if (d.timer !== undefined) clearTimeout(d.timer);
      d.socket?.destroy();
      d.conn?.close(this.opts.lingerMs);
    }
  }

  /** Stops reading from every connection (a slow consumer bounds memory); new connections start paused. */
  pause(): void {
    this.paused = true;
    // Handshaking connections keep reading: their input is bounded and the handshake must finish.
    for (const p of this.peers) if (p.conn.ready) p.conn.pause();
  }

  /** Resumes reading. */
  resume(): void {
    this.paused = false;
    for (const p of this.peers) p.conn.resume();
  }

  /** A copy of the counters. */
  stats(): SocketStats {
    return { ...this.counters, drops: { ...this.counters.drops } };
  }

  /**
   * Closes: stops listening and reconnecting, flushes ready connections
   * (destroyed after `lingerMs`), removes every listener and timer.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const d of this.dialers) {
      d.stopped = true;
      if (d.timer !== undefined) clearTimeout(d.timer);
      d.socket?.destroy();
    }
    this.dialers.length = 0;
    const waits: Promise<void>[] = [];
    for (const l of this.listenersList) {
      waits.push(new Promise<void>((r) => l.server.close(() => r())));
    }
    this.listenersList.length = 0;
    for (const p of [...this.peers]) {
      const s = p.conn.socket;
      if (!s.destroyed) waits.push(new Promise<void>((r) => s.once('close', () => r())));
      p.conn.close(this.opts.lingerMs);
    }
    this.removeAllListeners();
    this.onClosed();
    return Promise.all(waits).then(() => undefined);
  }

  private dial(d: Dialer): void {
    if (d.stopped) return;
    d.timer = undefined;
    const s =
      d.parsed.transport === 'ipc'
        ? net.connect({ path: d.parsed.path })
        : net.connect({ host: d.parsed.host, port: d.parsed.port, noDelay: true });
    d.socket = s;
    let timer: NodeJS.Timeout | undefined;
    if (this.opts.connectTimeoutMs > 0) {
      timer = setTimeout(() => s.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs);
    }
    const onFail = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      s.destroy();
      d.socket = undefined;
      this.scheduleReconnect(d);
    };
    s.once('error', onFail);
    s.once('connect', () => {
      if (timer !== undefined) clearTimeout(timer);
      s.off('error', onFail);
      d.socket = undefined;
      if (d.stopped) {
        s.destroy();
        return;
      }
      const conn = new Connection(s, this, { socketType: this.socketType, ...this.opts });
      d.conn = conn;
      const peer: Peer = { conn, endpoint: d.endpoint, dialer: d, info: undefined };
      conn.tag = peer;
      this.peers.add(peer);
    });
  }

  private scheduleReconnect(d: Dialer): void {
    if (d.stopped || this.closed) return;
    const delay = d.delay;
    d.delay = Math.min(
      d.delay * 2,
      Math.max(this.opts.reconnectIntervalMaxMs, this.opts.reconnectIntervalMs),
    );
    d.timer = setTimeout(() => this.dial(d), delay);
  }

  private accept(l: Listener, s: net.Socket): void {
    if (this.closed || l.pending >= this.opts.maxPendingHandshakes) {
      s.destroy();
      return;
    }
    l.pending++;
    const conn = new Connection(s, this, { socketType: this.socketType, ...this.opts });
    const peer: Peer & { listener?: Listener } = {
      conn,
      endpoint: l.endpoint,
      dialer: undefined,
      info: undefined,
      listener: l,
    };
    conn.tag = peer;
    this.peers.add(peer);
  }

  /** @internal ConnectionOwner */
  connReady(conn: Connection): void {
    const peer = conn.tag as Peer & { listener?: Listener };
    if (peer.listener !== undefined) peer.listener.pending--;
    if (peer.dialer !== undefined) peer.dialer.delay = this.opts.reconnectIntervalMs;
    const routingId = this.routingIdFor(peer);
    const info: PeerInfo = {
      endpoint: peer.endpoint,
      remoteAddress: conn.remoteAddress,
      properties: conn.peerProperties,
      ...(routingId !== undefined ? { routingId } : {}),
      ...(conn.peerPublicKey !== undefined ? { publicKey: conn.peerPublicKey } : {}),
    };
    peer.info = info;
    this.counters.connections++;
    this.counters.connectionsTotal++;
    if (this.paused) conn.pause();
    this.peerReady(peer);
    (this.emit as (e: string, ...a: unknown[]) => void).call(this, 'connect', info);
  }

  /** @internal ConnectionOwner */
  connMessage(conn: Connection, frames: Uint8Array[]): void {
    this.counters.messagesIn++;
    this.counters.framesIn += frames.length;
    this.peerMessage(conn.tag as Peer, frames);
  }

  /** @internal ConnectionOwner */
  connSubscription(conn: Connection, prefix: Uint8Array, subscribe: boolean): void {
    this.peerSubscription(conn.tag as Peer, prefix, subscribe);
  }

  /** @internal ConnectionOwner */
  connWritable(conn: Connection): void {
    this.peerWritable(conn.tag as Peer);
  }

  /** @internal ConnectionOwner */
  connClose(conn: Connection, reason: DisconnectReason, error: ZmtpError | undefined): void {
    const peer = conn.tag as Peer & { listener?: Listener };
    this.peers.delete(peer);
    const d = peer.dialer;
    if (d !== undefined) d.conn = undefined;
    const emit = this.emit as (e: string, ...a: unknown[]) => void;
    if (peer.info === undefined) {
      if (peer.listener !== undefined) peer.listener.pending--;
      if (reason !== 'closed') {
        this.counters.handshakeFailures++;
        const err = error ?? new ZmtpError('PROTOCOL', 'connection closed during the handshake');
        emit.call(this, 'handshakeFailed', peer.endpoint, err, peer.conn.remoteAddress);
        // An authentication refusal is final (like libzmq after ZAP 400): no endless retries.
        if (d !== undefined && (err.code === 'UNAUTHORIZED' || err.code === 'PEER_ERROR'))
          d.stopped = true;
      }
    } else {
      this.counters.connections--;
      this.counters.disconnects++;
      this.peerGone(peer);
      emit.call(this, 'disconnect', peer.info, reason, error);
    }
    if (d !== undefined && reason !== 'closed') this.scheduleReconnect(d);
  }

  protected emitDrain(): void {
    (this.emit as (e: string, ...a: unknown[]) => void).call(this, 'drain');
  }

  /** ROUTER returns the routing id it assigns; others undefined. */
  protected routingIdFor(_peer: Peer): Uint8Array | undefined {
    return undefined;
  }
  protected abstract peerReady(peer: Peer): void;
  protected abstract peerMessage(peer: Peer, frames: Uint8Array[]): void;
  protected abstract peerGone(peer: Peer): void;
  protected abstract peerWritable(peer: Peer): void;
  protected peerSubscription(_peer: Peer, _prefix: Uint8Array, _subscribe: boolean): void {}
  protected onClosed(): void {}
}
