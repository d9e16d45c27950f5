/** ROUTER: addresses peers by routing id. */
import { ZmtpError } from './errors.js';
import type { SocketOptions } from './options.js';
import type { BaseEvents, Peer } from './socket-base.js';
import { SocketBase } from './socket-base.js';

/**
 * Receives one message with its sender's routing id. The routing id is a
 * Buffer owned by the connection (the same object for every message of that
 * peer, safe to keep); frames are views valid only during the call.
 */
export type RouterMessageHandler = (routingId: Buffer, frames: Uint8Array[]) => void;

/** ROUTER events: the base events plus `message`. */
export interface RouterEvents extends BaseEvents {
  /** A message arrived (frame views valid only during the call). */
  message: [routingId: Buffer, frames: Uint8Array[]];
}

/** ROUTER options. */
export interface RouterOptions extends SocketOptions {
  /** Message handler (faster than the `message` event); default none. */
  readonly onMessage?: RouterMessageHandler;
  /**
   * True: `send` to an unknown id throws `ZmtpError('UNREACHABLE')` and to a
   * full peer returns false. False: both drop and count (`drops.unroutable`,
   * `drops.hwm`) and `send` returns true. Default false (as libzmq).
   */
  readonly mandatory?: boolean;
}

interface RouterPeer extends Peer {
  routingId?: Buffer;
  key?: string;
}

/** A ROUTER socket. */
export class RouterSocket extends SocketBase<RouterEvents> {
  /** The message handler; may be replaced at any time. */
  onMessage: RouterMessageHandler | undefined;
  private readonly mandatory: boolean;
  private readonly byId = new Map<string, RouterPeer>();
  private readonly byObject = new WeakMap<Uint8Array, RouterPeer>();
  private nextId = (Math.random() * 0xffffffff) >>> 0;
  private wantDrain = false;

  constructor(options: RouterOptions = {}) {
    super('ROUTER', options);
    this.onMessage = options.onMessage;
    this.mandatory = options.mandatory ?? false;
  }

  /** Sends to the peer with this routing id; see {@link RouterOptions.mandatory}. */
  send(routingId: Uint8Array, frames: readonly Uint8Array[]): boolean {
    if (this.closed) throw new ZmtpError('CLOSED', 'socket closed');
    // Fast path: the Buffer this socket handed out for the peer (no string built per send).
    let peer = this.byObject.get(routingId);
    if (peer === undefined || !peer.conn.ready) {
      const key = Buffer.from(
        routingId.buffer,
        routingId.byteOffset,
        routingId.byteLength,
      ).toString('latin1');
      peer = this.byId.get(key);
      if (peer === undefined) {
        if (this.mandatory) {
          const hex = Buffer.from(key, 'latin1').toString('hex');
          throw new ZmtpError(
            'UNREACHABLE',
            `no peer with routing id ${hex === '' ? '(empty)' : hex}`,
          );
        }
        this.counters.drops.unroutable++;
        return true;
      }
    }
    if (!peer.conn.send(frames)) {
      if (this.mandatory) {
        this.wantDrain = true;
        return false;
      }
      this.counters.drops.hwm++;
      return true;
    }
    this.counters.messagesOut++;
    this.counters.framesOut += frames.length;
    return true;
  }

  /** True when a peer with this routing id is connected. */
  hasPeer(routingId: Uint8Array): boolean {
    return this.byId.has(
      Buffer.from(routingId.buffer, routingId.byteOffset, routingId.byteLength).toString('latin1'),
    );
  }

  protected override routingIdFor(p: Peer): Uint8Array {
    const peer = p as RouterPeer;
    const identity = peer.conn.peerProperties.get('identity');
    let id: Buffer;
    if (
      identity !== undefined &&
      identity.length > 0 &&
      identity[0] !== 0 &&
      !this.byId.has(Buffer.from(identity).toString('latin1'))
    ) {
      id = Buffer.from(identity);
    } else {
      // As libzmq: 0x00 then a 32-bit counter (ids starting with 0 are reserved for generated ones).
      do {
        id = Buffer.alloc(5);
        id.writeUInt32BE(this.nextId, 1);
        this.nextId = (this.nextId + 1) >>> 0;
      } while (this.byId.has(id.toString('latin1')));
    }
    peer.routingId = id;
    peer.key = id.toString('latin1');
    return id;
  }

  protected peerReady(p: Peer): void {
    const peer = p as RouterPeer;
    this.byId.set(peer.key!, peer);
    this.byObject.set(peer.routingId!, peer);
  }

  protected peerMessage(p: Peer, frames: Uint8Array[]): void {
    const id = (p as RouterPeer).routingId!;
    const h = this.onMessage;
    if (h !== undefined) h(id, frames);
    if (this.has('message')) this.emit('message', id, frames);
  }

  protected peerGone(p: Peer): void {
    const peer = p as RouterPeer;
    if (peer.key !== undefined && this.byId.get(peer.key) === peer) this.byId.delete(peer.key);
  }

  protected peerWritable(_p: Peer): void {
    if (this.wantDrain) {
      this.wantDrain = false;
      this.emitDrain();
    }
  }

  protected override onClosed(): void {
    this.byId.clear();
    this.onMessage = undefined;
  }
}

/** Creates a ROUTER socket. */
export function createRouter(options: RouterOptions = {}): RouterSocket {
  return new RouterSocket(options);
}
