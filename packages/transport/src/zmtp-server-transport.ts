/**
 * The server side of request/response on the zmtp engine: one `@xsmb/zmtp`
 * ROUTER (mandatory: nothing is dropped silently) bound to one or more
 * endpoints. What both engines share is in {@link ServerCore}; here are the
 * socket calls. The engine reports peers joining and leaving directly, so no
 * ROUTER_NOTIFY messages are needed, and a full peer waits for its `drain`.
 */

import { createRouter, type PeerInfo, type RouterSocket, type ZmtpError } from '@xsmb/zmtp';
import { resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import { ReceiveQueue } from './receive-queue.js';
import { ServerCore, type ServerPeer } from './server-core.js';
import type { ServerTransportOptions, ZmqServerTransport } from './server-transport.js';
import { DONE } from './transport-core.js';
import type { Inbound, PeerId } from './types.js';
import { bindZmtp, describeZmtpFailure, zmtpSocketOptions } from './zmtp-options.js';
import { zmtpCurveServer } from './zmtp-security.js';

interface Peer extends ServerPeer {
  /** Waiting in the writer's list. */
  queued: boolean;
}

/** A received, accepted ZeroMQ message with its sender. */
interface Received {
  readonly peer: PeerId;
  readonly head: Buffer;
  readonly large: Uint8Array | undefined;
}

const GONE_REASON = 'peer disconnected before the message was sent';

/** ROUTER-based server transport on `@xsmb/zmtp`. */
class ZmtpServer extends ServerCore<Peer> {
  private readonly socket: RouterSocket;
  protected readonly socketState = { closed: false };
  /** The engine hands the same routing-id Buffer for every message of a peer. */
  private readonly byRid = new Map<Buffer, Peer>();
  /** Peers with queued messages, in the order they became ready. */
  private writeList: Peer[] = [];
  /** Peers the engine refused (full); retried on its `drain`. */
  private blocked: Peer[] = [];
  private scheduled = false;
  private flushedEarly = false;
  private readonly inbox: ReceiveQueue<Received>;
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    this.write();
  };

  constructor(options: ServerTransportOptions) {
    const security = zmtpCurveServer(options.curve, options.allowedClientKeys);
    const o = resolveOptions(options);
    super(o, security);
    const mechanism = security.mechanism;
    const socket = createRouter({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      mandatory: true,
      onMessage: (rid, frames) => this.onMessage(rid, frames),
    });
    this.socket = socket;
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => socket.pause(),
      () => socket.resume(),
    );
    socket.on('connect', (info) => this.onPeerConnect(info));
    socket.on('disconnect', (info) => this.onPeerDisconnect(info));
    socket.on('handshakeFailed', (endpoint: string, error: ZmtpError, address: string) => {
      this.handshakeFailures++;
      this.emitter.emit('handshakeFailed', { endpoint, address, ...describeZmtpFailure(error) });
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

  protected bind(endpoint: string): Promise<string> {
    return bindZmtp(this.socket, endpoint);
  }

  private onPeerConnect(info: PeerInfo): void {
    const rid = info.routingId as Buffer;
    const peer: Peer = {
      id: rid.toString('latin1'),
      rid,
      out: new Outbox(),
      queued: false,
      address: info.remoteAddress,
    };
    this.byRid.set(rid, peer);
    this.addPeer(peer);
  }

  private onPeerDisconnect(info: PeerInfo): void {
    const rid = info.routingId as Buffer;
    const peer = this.byRid.get(rid);
    if (peer === undefined) return;
    this.byRid.delete(rid);
    this.removePeer(peer, GONE_REASON);
    this.peerGone(peer.id, peer.address);
  }

  protected queued(p: Peer): void {
    if (!p.queued) this.enqueue(p);
    if (p.out.size >= this.opts.burst.flushAt && !this.flushedEarly) {
      // Pipelining (BurstOptions.flushAt), once per turn.
      this.flushedEarly = true;
      this.write();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.runWriter);
    }
  }

  protected flush(): void {
    this.write();
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
    while (this.writeList.length > 0 && !this.socketState.closed) {
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
    const n = this.writer.plan(out.items, out.head, out.items.length);
    let accepted: boolean;
    try {
      accepted = this.socket.send(p.rid, this.writer.frames(out.items, out.head));
    } catch {
      // UNREACHABLE: gone before its disconnect event reached us.
      this.removePeer(p, GONE_REASON);
      return false;
    }
    if (!accepted) {
      this.blocked.push(p);
      p.queued = true;
      return false;
    }
    this.sentTo(p, n);
    return true;
  }

  private onMessage(rid: Buffer, frames: Uint8Array[]): void {
    const peer = this.byRid.get(rid);
    const id = peer !== undefined ? peer.id : rid.toString('latin1');
    const head = this.decoder.accept(frames, 0, id);
    if (head !== null) this.inbox.push({ peer: id, head, large: frames[1] });
  }

  protected readonly receive = (): Promise<IteratorResult<Inbound>> =>
    this.inbox.next().then(this.open);

  private readonly open = (item: Received | undefined): IteratorResult<Inbound> => {
    if (item === undefined || this.closedFlag) return DONE;
    return { done: false, value: this.firstFrom(item.peer, item.head, item.large) };
  };

  protected closeSocket(): Promise<void> {
    this.socketState.closed = true;
    this.inbox.end();
    return this.socket.close();
  }
}

/** Creates a server transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpServerTransport(
  options: ServerTransportOptions = {},
): ZmqServerTransport {
  return new ZmtpServer(options);
}
