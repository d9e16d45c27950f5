/**
 * u32 big-endian length-prefixed frames over a node:net socket.
 *
 * The writer corks the socket on the first write of a tick and uncorks on
 * `process.nextTick`, so everything written in one tick leaves in one
 * `writev` — Node's own way of coalescing small writes.
 * The reader reassembles frames across chunks and can stop mid-chunk when a
 * consumer asks it to wait (the socket is paused meanwhile, so TCP's window
 * pushes back on the sender).
 */
import type { Socket } from 'node:net';
import { MAX_FRAME_BYTES } from './envelope.js';

/** Writes length-prefixed frames to a socket; see the module comment. */
export class FrameWriter {
  private corked = false;
  private drainWait: Promise<void> | null = null;
  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  /** Writes one frame; returns a promise when the socket's buffer is full (wait for it). */
  write(payload: Uint8Array): undefined | Promise<void> {
    if (this.socket.destroyed) throw new Error('socket closed');
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    frame.set(payload, 4);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    if (this.socket.write(frame)) return undefined;
    this.drainWait ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        this.drainWait = null;
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('socket closed while waiting for drain'));
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
    return this.drainWait;
  }
}

/** A frame consumer: a returned promise pauses reading until it settles. */
export type OnFrame = (frame: Buffer) => undefined | Promise<void>;

/** Reads length-prefixed frames from a socket; see the module comment. */
export class FrameReader {
  private pending: Buffer | null = null;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    private readonly onFrame: OnFrame,
    private readonly onError: (error: Error) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.paused) this.run();
  }

  private run(): void {
    const buffer = this.pending;
    if (!buffer) return;
    let at = 0;
    // Bounded by the buffer: every pass consumes one whole frame.
    while (buffer.length - at >= 4) {
      const length = buffer.readUInt32BE(at);
      if (length > MAX_FRAME_BYTES) {
        this.pending = null;
        this.socket.destroy();
        this.onError(new Error(`frame of ${length} bytes exceeds the limit`));
        return;
      }
      if (buffer.length - at - 4 < length) break;
      const frame = buffer.subarray(at + 4, at + 4 + length);
      at += 4 + length;
      const wait = this.onFrame(frame);
      if (wait) {
        this.pending = at < buffer.length ? buffer.subarray(at) : null;
        this.paused = true;
        this.socket.pause();
        wait.then(
          () => {
            this.paused = false;
            this.run();
            if (!this.paused) this.socket.resume();
          },
          (error: unknown) =>
            this.onError(error instanceof Error ? error : new Error(String(error))),
        );
        return;
      }
    }
    this.pending = at < buffer.length ? buffer.subarray(at) : null;
  }
}
