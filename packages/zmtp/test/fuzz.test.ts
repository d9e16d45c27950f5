import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionOwner } from '../src/connection.js';
import { nullMechanism } from '../src/null-mechanism.js';
import { greeting, ready } from './helpers.js';

/** Just enough of a net.Socket for the engine, fed synchronously. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  written = 0;
  remoteAddress = 'fuzz';
  remotePort = 0;
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  write(b: Uint8Array): boolean {
    this.written += b.length;
    return true;
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

// Deterministic PRNG so a failure is reproducible.
let seed = 0x2545f491;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function validStream(): Buffer {
  const frames: Buffer[] = [greeting(rnd(2)), ready('DEALER')];
  const n = rnd(6);
  for (let i = 0; i < n; i++) {
    const size = rnd(4) === 0 ? 256 + rnd(600) : rnd(40);
    const long = size > 255;
    const h = long ? Buffer.alloc(9) : Buffer.alloc(2);
    h[0] = (rnd(2) && i < n - 1 ? 1 : 0) | (long ? 2 : 0);
    if (long) h.writeBigUInt64BE(BigInt(size), 1);
    else h[1] = size;
    frames.push(h, Buffer.alloc(size, i));
  }
  if (rnd(3) === 0) frames.push(Buffer.from([4, 7, 4, ...Buffer.from('PING'), 0, 1]));
  return Buffer.concat(frames);
}

function mutate(b: Buffer): Buffer {
  const out = Buffer.from(b);
  const k = 1 + rnd(4);
  for (let i = 0; i < k; i++) {
    const at = rnd(out.length);
    switch (rnd(4)) {
      case 0:
        out[at] = rnd(256);
        break;
      case 1:
        out[at] = out[at]! ^ (1 << rnd(8));
        break;
      case 2:
        out[at] = [0, 0xff, 0x7f, 2, 4][rnd(5)]!;
        break;
      default:
        return out.subarray(0, at);
    }
  }
  return out;
}

describe('fuzz: frame decoder + handshake', () => {
  it('100k random and mutated streams end in frames or a clean ZmtpError', () => {
    let messages = 0;
    let failures = 0;
    const owner: ConnectionOwner = {
      connReady() {},
      connMessage(_c, frames) {
        messages++;
        for (const f of frames) expect(f.length).toBeLessThanOrEqual(64 * 1024);
      },
      connSubscription() {},
      connWritable() {},
      connClose(_c, _reason, err) {
        if (err !== undefined) {
          failures++;
          if (err.message.startsWith('internal:')) throw new Error(`engine bug: ${err.message}`);
        }
      },
    };
    const opts = {
      socketType: 'ROUTER' as const,
      identity: undefined,
      mechanism: nullMechanism(),
      maxMessageBytes: 64 * 1024,
      heartbeatIntervalMs: 0,
      heartbeatTimeoutMs: 0,
      heartbeatTtlMs: 0,
      handshakeTimeoutMs: 0,
      sendHighWaterMark: 10,
      sendHighWaterBytes: 1 << 20,
    };
    const base = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      let input: Buffer;
      const kind = rnd(10);
      if (kind === 0) {
        input = Buffer.alloc(rnd(200));
        for (let j = 0; j < input.length; j++) input[j] = rnd(256);
      } else if (kind === 1) {
        input = Buffer.concat([greeting(), Buffer.alloc(rnd(100)).map(() => rnd(256))]);
      } else input = mutate(validStream());
      const sock = new FakeSocket();
      const conn = new Connection(sock as unknown as Socket, owner, opts);
      // Random chunking exercises every split of headers and bodies.
      let at = 0;
      while (at < input.length && !sock.destroyed) {
        const n = 1 + rnd(Math.min(input.length - at, 1 + rnd(80)));
        sock.emit('data', input.subarray(at, at + n));
        at += n;
      }
      conn.close(0);
    }
    expect(messages).toBeGreaterThan(1000);
    expect(failures).toBeGreaterThan(1000);
    expect(process.memoryUsage().heapUsed - base).toBeLessThan(200 * 1024 * 1024);
  }, 60_000);
});
