/** XPUB: fans messages out to subscribers whose prefix matches frame 0; reports subscriptions. */
import type { SocketOptions } from './options.js';
import type { BaseEvents, Peer, PeerInfo } from './socket-base.js';
import { SocketBase } from './socket-base.js';

/** XPUB events: the base events plus subscription changes. */
export interface XPubEvents extends BaseEvents {
  /** A peer subscribed to `prefix` (a copy); sent once per peer and prefix. */
  subscribe: [prefix: Uint8Array, peer: PeerInfo];
  /** A peer cancelled `prefix`, or went away while subscribed. */
  unsubscribe: [prefix: Uint8Array, peer: PeerInfo];
}

/** XPUB options. */
export interface XPubOptions extends SocketOptions {
  /**
   * False (default): a subscriber at its high-water mark misses the message
   * (counted in `drops.hwm`). True: `send` returns false and sends to no one
   * when any matching subscriber is full ('drain' follows).
   */
  readonly noDrop?: boolean;
}

interface XPubPeer extends Peer {
  /** Prefixes (latin1 keys) this peer subscribed to. */
  subs?: Set<string> | undefined;
}

/** An XPUB socket. */
export class XPubSocket extends SocketBase<XPubEvents> {
  private readonly noDrop: boolean;
  private readonly subscribers = new Set<XPubPeer>();
  private wantDrain = false;

  constructor(options: XPubOptions = {}) {
    super('XPUB', options);
    this.noDrop = options.noDrop ?? false;
  }

  /** Sends to every subscriber with a matching prefix; see {@link XPubOptions.noDrop}. */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    const topic = frames[0] ?? new Uint8Array(0);
    if (this.noDrop) {
      for (const p of this.subscribers) {
        if (p.conn.full && matches(p.subs!, topic)) {
          this.wantDrain = true;
          return false;
        }
      }
    }
    for (const p of this.subscribers) {
      if (!matches(p.subs!, topic)) continue;
      if (p.conn.send(frames)) {
        this.counters.messagesOut++;
        this.counters.framesOut += frames.length;
      } else this.counters.drops.hwm++;
    }
    return true;
  }

  protected peerReady(p: Peer): void {
    (p as XPubPeer).subs = new Set();
  }

  protected override peerSubscription(p: Peer, prefix: Uint8Array, subscribe: boolean): void {
    const peer = p as XPubPeer;
    if (peer.subs === undefined || peer.info === undefined) return;
    const key = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).toString('latin1');
    if (subscribe) {
      if (peer.subs.has(key)) return;
      peer.subs.add(key);
      this.subscribers.add(peer);
      if (this.has('subscribe')) this.emit('subscribe', prefix.slice(), peer.info);
    } else {
      if (!peer.subs.delete(key)) return;
      if (peer.subs.size === 0) this.subscribers.delete(peer);
      if (this.has('unsubscribe')) this.emit('unsubscribe', prefix.slice(), peer.info);
    }
  }

  protected peerMessage(): void {
    // XPUB receives only subscriptions; other messages are ignored.
  }

  protected peerGone(p: Peer): void {
    const peer = p as XPubPeer;
    this.subscribers.delete(peer);
    if (peer.subs !== undefined && peer.info !== undefined && this.has('unsubscribe')) {
      for (const key of peer.subs)
        this.emit('unsubscribe', new Uint8Array(Buffer.from(key, 'latin1')), peer.info);
    }
    peer.subs = undefined;
  }

  protected peerWritable(): void {
    if (this.wantDrain) {
      this.wantDrain = false;
      this.emitDrain();
    }
  }

  protected override onClosed(): void {
    this.subscribers.clear();
  }
}

/** True when some prefix in `subs` is a prefix of `topic`. */
export function matches(subs: ReadonlySet<string>, topic: Uint8Array): boolean {
  if (subs.has('')) return true;
  for (const s of subs) {
    if (s.length > topic.length) continue;
    let ok = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) !== topic[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** Creates an XPUB socket. */
export function createXPub(options: XPubOptions = {}): XPubSocket {
  return new XPubSocket(options);
}
