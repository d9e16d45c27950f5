/**
 * Writes ZMTP frames to a socket as they are (no mechanism transform): one
 * frame, or one message with small messages coalesced into a single write
 * and large ones corked so big bodies are not copied.
 */
import type { Socket } from 'node:net';
import { FLAG_MORE, headerSize, writeHeader } from './frame-decoder.js';

/** Below this total size a message is copied into one buffer and written with one syscall. */
const COALESCE_BYTES = 16 * 1024;

/** Writes one frame; returns socket.write's verdict. */
export function writeFrame(socket: Socket, flags: number, body: Uint8Array): boolean {
  const out = Buffer.allocUnsafe(headerSize(body.length) + body.length);
  const at = writeHeader(out, 0, flags, body.length);
  out.set(body, at);
  return socket.write(out);
}

/** Writes one message (MORE on all frames but the last); returns socket.write's verdict. */
export function writeMessage(socket: Socket, frames: readonly Uint8Array[]): boolean {
  const n = frames.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = frames[i]!.length;
    total += headerSize(len) + len;
  }
  if (total <= COALESCE_BYTES) {
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const f = frames[i]!;
      at = writeHeader(out, at, i < n - 1 ? FLAG_MORE : 0, f.length);
      out.set(f, at);
      at += f.length;
    }
    return socket.write(out);
  }
  // Large message: headers and bodies written as they are (no copy of big bodies), in one corked batch.
  socket.cork();
  let ok = true;
  for (let i = 0; i < n; i++) {
    const f = frames[i]!;
    const h = Buffer.allocUnsafe(headerSize(f.length));
    writeHeader(h, 0, i < n - 1 ? FLAG_MORE : 0, f.length);
    socket.write(h);
    ok = socket.write(f);
  }
  socket.uncork();
  return ok;
}
