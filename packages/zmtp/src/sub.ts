/** SUB: subscribes on every connection, filters locally too. */
import type { Connection } from './connection.js';
import type { MessageHandler } from './dealer.js';
import type { SocketOptions } from './options.js';
import type { BaseEvents, Peer } from './socket-base.js';
import { SocketBase } from './socket-base.js';
import { matches } from './xpub.js';

/** SUB events: the base events plus `message`. */
export interface SubEvents extends BaseEvents {
  /** A message arrived (views valid only during the call). */
  message: [frames: Uint8Array[]];
}

/** SUB options. */
export interface SubOptions extends SocketOptions {
  /** Message handler (faster than the `message` event); default none. */
  readonly onMessage?: MessageHandler;
}

/** A SUB socket. */
export class SubSocket extends SocketBase<SubEvents> {
  /** The message handler; may be replaced at any time. */
  onMessage: MessageHandler | undefined;
  /** Prefix (latin1) → how many times subscribed (each needs an unsubscribe). */
  private readonly counts = new Map<string, number>();
  private readonly active = new Set<string>();
  private readonly ready = new Set<Peer>();

  constructor(options: SubOptions = {}) {
    super('SUB', options);
    this.onMessage = options.onMessage;
  }

  /** Subscribes to messages whose frame 0 starts with `prefix` (empty = all), on every current and future connection. */
  subscribe(prefix: Uint8Array | string = ''): void {
    const bytes = typeof prefix === 'string' ? Buffer.from(prefix) : prefix;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.active.add(key);
    for (const p of this.ready) sendSub(p.conn, bytes, true);
  }

  /** Undoes one `subscribe(prefix)`; the peers are told when the last one goes. */
  unsubscribe(prefix: Uint8Array | string = ''): void {
    const bytes = typeof prefix === 'string' ? Buffer.from(prefix) : prefix;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const n = this.counts.get(key);
    if (n === undefined) return;
    if (n > 1) {
      this.counts.set(key, n - 1);
      return;
    }
    this.counts.delete(key);
    this.active.delete(key);
    for (const p of this.ready) sendSub(p.conn, bytes, false);
  }

  protected peerReady(peer: Peer): void {
    this.ready.add(peer);
    for (const key of this.active) sendSub(peer.conn, Buffer.from(key, 'latin1'), true);
  }

  protected peerMessage(_peer: Peer, frames: Uint8Array[]): void {
    if (!matches(this.active, frames[0]!)) {
      this.counters.drops.filtered++;
      return;
    }
    const h = this.onMessage;
    if (h !== undefined) h(frames);
    if (this.has('message')) this.emit('message', frames);
  }

  protected peerGone(peer: Peer): void {
    this.ready.delete(peer);
  }

  protected peerWritable(): void {}

  protected override onClosed(): void {
    this.ready.clear();
    this.onMessage = undefined;
  }
}

/** ZMTP 3.1 peers get SUBSCRIBE/CANCEL commands, 3.0 peers 0x01/0x00 messages. */
function sendSub(conn: Connection, prefix: Uint8Array, on: boolean): void {
  if (conn.peerMinor >= 1) {
    conn.sendCommand(on ? 'SUBSCRIBE' : 'CANCEL', prefix);
    return;
  }
  const msg = new Uint8Array(prefix.length + 1);
  msg[0] = on ? 1 : 0;
  msg.set(prefix, 1);
  conn.send([msg]);
}

/** Creates a SUB socket. */
export function createSub(options: SubOptions = {}): SubSocket {
  return new SubSocket(options);
}
