/**
 * ZMTP heartbeats (RFC 37 PING/PONG): when to ping, when a silent peer is
 * dead, and the PONG for a peer's PING. Pure bookkeeping; the connection owns
 * the timer and the socket.
 */
import { encodeCommand } from './command.js';
import { ZmtpError } from './errors.js';

/** Heartbeat settings of one connection (resolved). */
export interface HeartbeatOptions {
  /** Interval between PINGs this side sends; 0 sends none. */
  readonly intervalMs: number;
  /** How long after a PING without any traffic the peer is dead. */
  readonly timeoutMs: number;
  /** The TTL this side asks the peer to apply (sent in PING, 100 ms units). */
  readonly ttlMs: number;
}

/** The heartbeat state of one connection. */
export class Heartbeat {
  /** When the last bytes arrived from the peer (`Date.now()`). */
  lastRecv = Date.now();
  /** The TTL the peer asked for in its PING; 0 until it sends one. */
  private peerTtlMs = 0;
  private pingSent = 0;

  constructor(private readonly opts: HeartbeatOptions) {}

  /** True when ticks are needed: this side pings or the peer set a TTL. */
  get active(): boolean {
    return this.opts.intervalMs > 0 || this.peerTtlMs > 0;
  }

  /** Time between ticks. */
  get intervalMs(): number {
    return this.opts.intervalMs > 0 ? this.opts.intervalMs : Math.max(100, this.peerTtlMs / 4);
  }

  /**
   * One tick at `now`: the `TIMEOUT` error to drop the peer with, a PING
   * command body to send, or undefined when there is nothing to do.
   */
  tick(now: number): ZmtpError | Uint8Array | undefined {
    const silent = now - this.lastRecv;
    if (this.peerTtlMs > 0 && silent > this.peerTtlMs) {
      return new ZmtpError(
        'TIMEOUT',
        `peer silent for ${silent} ms (its TTL ${this.peerTtlMs} ms)`,
      );
    }
    if (this.opts.intervalMs <= 0) return undefined;
    if (this.pingSent > this.lastRecv && now - this.pingSent > this.opts.timeoutMs) {
      return new ZmtpError('TIMEOUT', `no traffic for ${this.opts.timeoutMs} ms after PING`);
    }
    if (this.pingSent > this.lastRecv) return undefined;
    const ttl = Math.min(0xffff, Math.round(this.opts.ttlMs / 100));
    this.pingSent = now;
    return encodeCommand('PING', new Uint8Array([ttl >> 8, ttl & 0xff]));
  }

  /**
   * Handles the peer's PING `data`: remembers its TTL (the first non-zero
   * one) and returns the PONG body, which echoes the ping context (at most
   * 16 bytes). `PROTOCOL` for a short PING.
   */
  onPing(data: Uint8Array): Uint8Array {
    if (data.length < 2) throw new ZmtpError('PROTOCOL', 'short PING');
    const ttl = ((data[0]! << 8) | data[1]!) * 100;
    if (ttl > 0 && this.peerTtlMs === 0) this.peerTtlMs = ttl;
    return encodeCommand('PONG', data.subarray(2, 18));
  }
}
