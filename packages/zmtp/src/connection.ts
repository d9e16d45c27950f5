/**
 * One ZMTP connection over a net.Socket: greeting, mechanism handshake,
 * READY checks, heartbeats, framing and a bounded send queue. Sockets
 * (DEALER, ROUTER, XPUB, SUB) own connections and get called back through
 * {@link ConnectionOwner}; nothing here allocates per message beyond the
 * frame array handed to the owner.
 */
import type { Socket } from 'node:net';
import {
  decodeCommand,
  encodeCommand,
  encodeErrorCommand,
  errorCommandReason,
  handshakeErrorReason,
} from './command.js';
import { ZmtpError } from './errors.js';
import { FLAG_COMMAND, FLAG_MORE, FrameDecoder } from './frame-decoder.js';
import { writeFrame, writeMessage } from './frame-writer.js';
import { encodeGreeting, GreetingReader } from './greeting.js';
import { Heartbeat } from './heartbeat.js';
import type { MechanismFactory, MechanismSession } from './mechanism.js';
import { checkPeerSocketType, type SocketType } from './socket-type.js';

/** Why a connection ended. */
export type DisconnectReason = 'closed' | 'disconnected' | 'handshake' | 'protocol';

/** The engine options of one connection (resolved, no undefineds). */
export interface ConnectionOptions {
  readonly socketType: SocketType;
  readonly identity: Uint8Array | undefined;
  readonly mechanism: MechanismFactory;
  readonly maxMessageBytes: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly heartbeatTtlMs: number;
  readonly handshakeTimeoutMs: number;
  readonly sendHighWaterMark: number;
  readonly sendHighWaterBytes: number;
}

/** What a connection reports to its socket. */
export interface ConnectionOwner {
  connReady(conn: Connection): void;
  connMessage(conn: Connection, frames: Uint8Array[]): void;
  connSubscription(conn: Connection, prefix: Uint8Array, subscribe: boolean): void;
  connWritable(conn: Connection): void;
  connClose(conn: Connection, reason: DisconnectReason, error: ZmtpError | undefined): void;
}

const empty = new Uint8Array(0);

/** One ZMTP peer connection. */
export class Connection {
  /** Remote address (`host:port` or the ipc path). */
  readonly remoteAddress: string;
  /** The peer's READY properties once ready (names lower-cased). */
  peerProperties: ReadonlyMap<string, Uint8Array> = new Map();
  /** The peer's long-term key (CURVE), once ready. */
  peerPublicKey: Uint8Array | undefined;
  /** The peer's ZMTP minor version (0 = 3.0, 1 = 3.1), known after the greeting. */
  peerMinor = 1;
  /** True once the handshake is done and data may flow. */
  ready = false;
  /** Set by the owner: a routing id, a dialer, whatever it needs. */
  tag: unknown;

  private state: 'greeting' | 'handshake' | 'ready' | 'closed' = 'greeting';
  private greetingIn: GreetingReader | null = new GreetingReader();
  private readonly session: MechanismSession;
  private readonly decoder: FrameDecoder;
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private readonly queue: Uint8Array[][] = [];
  private queueBytes = 0;
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeat: Heartbeat;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    private readonly opts: ConnectionOptions,
  ) {
    // Unix sockets have no remote address.
    this.remoteAddress =
      socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    const props = new Map<string, Uint8Array>([
      ['Socket-Type', new TextEncoder().encode(opts.socketType)],
    ]);
    if (opts.identity !== undefined && opts.identity.length > 0)
      props.set('Identity', opts.identity);
    this.session = opts.mechanism({ properties: props, asServer: false });
    this.heartbeat = new Heartbeat({
      intervalMs: opts.heartbeatIntervalMs,
      timeoutMs: opts.heartbeatTimeoutMs,
      ttlMs: opts.heartbeatTtlMs,
    });
    this.decoder = new FrameDecoder(
      (flags, body) => this.onFrame(flags, body),
      // A frame may not exceed the message bound; commands get a little headroom for CURVE boxes.
      opts.maxMessageBytes + 64,
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {
      // 'close' follows and reports the end.
    });
    socket.on('close', () => this.finish('disconnected', undefined));
    socket.write(encodeGreeting(this.session.name, this.session.asServer === true));
    if (opts.handshakeTimeoutMs > 0) {
      this.timer = setTimeout(
        () =>
          this.fail(
            'handshake',
            new ZmtpError('TIMEOUT', `handshake not done within ${opts.handshakeTimeoutMs} ms`),
          ),
        opts.handshakeTimeoutMs,
      );
    }
  }

  /** True when this connection's send queue is at its high-water mark. */
  get full(): boolean {
    return (
      this.blocked &&
      (this.queue.length >= this.opts.sendHighWaterMark ||
        this.queueBytes >= this.opts.sendHighWaterBytes)
    );
  }

  /** Queued messages not yet handed to the kernel socket. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Sends one message; false when over the high-water mark (not queued).
   * Before the handshake is done messages queue (bounded the same way).
   */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.state === 'closed') return false;
    if (this.blocked || this.state !== 'ready') {
      if (
        this.queue.length >= this.opts.sendHighWaterMark ||
        this.queueBytes >= this.opts.sendHighWaterBytes
      )
        return false;
      this.queue.push(frames as Uint8Array[]);
      for (const f of frames) this.queueBytes += f.length;
      this.blocked = true;
      return true;
    }
    this.blocked = !this.writeMessage(frames);
    return true;
  }

  /** Sends a command (SUBSCRIBE, CANCEL, PING...) outside the data queue order guarantees. */
  sendCommand(name: string, data: Uint8Array = empty): void {
    if (this.state !== 'ready') return;
    this.writeFrame(FLAG_COMMAND, encodeCommand(name, data));
  }

  /** Stops reading from the socket (receive backpressure). */
  pause(): void {
    this.socket.pause();
  }

  /** Resumes reading. */
  resume(): void {
    this.socket.resume();
  }

  /** Flushes what the queue holds into the socket and ends it; destroyed after `lingerMs`. */
  close(lingerMs: number): void {
    if (this.state === 'closed') return;
    if (this.state === 'ready' && lingerMs > 0) {
      while (this.queue.length > 0) this.writeMessage(this.queue.shift()!);
      this.queue.length = 0;
      this.queueBytes = 0;
      this.finish('closed', undefined);
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), lingerMs);
      t.unref();
      this.socket.once('close', () => clearTimeout(t));
      return;
    }
    this.finish('closed', undefined);
    this.socket.destroy();
  }

  /** Drops the connection with an error: sends ERROR when the handshake allows, then destroys. */
  fail(reason: DisconnectReason, error: ZmtpError): void {
    if (this.state === 'closed') return;
    // Tell the peer why (RFC 23 ERROR), unless it was the peer that sent ERROR.
    if (this.state === 'handshake' && error.code !== 'PEER_ERROR') {
      try {
        this.writeFrame(FLAG_COMMAND, encodeErrorCommand(handshakeErrorReason(error)));
      } catch {
        // The socket is going away anyway.
      }
    }
    this.finish(reason, error);
    this.socket.destroy();
  }

  private finish(reason: DisconnectReason, error: ZmtpError | undefined): void {
    if (this.state === 'closed') return;
    const wasHandshaking = this.state !== 'ready';
    this.state = 'closed';
    this.ready = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queueBytes = 0;
    this.parts = [];
    const r = reason === 'disconnected' && wasHandshaking ? 'handshake' : reason;
    this.owner.connClose(this, r, error);
  }

  private onData(chunk: Buffer): void {
    this.heartbeat.lastRecv = Date.now();
    try {
      if (this.state === 'greeting') {
        const reader = this.greetingIn!;
        const take = reader.push(chunk);
        if (!reader.complete) return;
        this.onGreeting(reader);
        if (take === chunk.length) return;
        chunk = chunk.subarray(take);
      }
      if (this.state === 'closed') return;
      this.decoder.push(chunk);
    } catch (e) {
      // A non-ZmtpError here is a bug of ours; still drop the peer rather than crash.
      const err =
        e instanceof ZmtpError
          ? e
          : new ZmtpError('PROTOCOL', `internal: ${String(e)}`, { cause: e });
      this.fail(this.state === 'ready' ? 'protocol' : 'handshake', err);
    }
  }

  private onGreeting(reader: GreetingReader): void {
    this.greetingIn = null;
    const { minor, mechanism: mech } = reader.read();
    this.peerMinor = minor;
    if (mech !== this.session.name) {
      throw new ZmtpError(
        'MECHANISM',
        `peer uses mechanism ${JSON.stringify(mech)}, this side ${this.session.name}`,
      );
    }
    this.state = 'handshake';
    this.handshakeStep(this.session.start());
  }

  private handshakeStep(step: {
    readonly send: readonly Uint8Array[];
    readonly done?: {
      readonly peerProperties: ReadonlyMap<string, Uint8Array>;
      readonly peerPublicKey?: Uint8Array;
    };
  }): void {
    for (const body of step.send) this.writeFrame(FLAG_COMMAND, body);
    if (step.done === undefined) return;
    const props = step.done.peerProperties;
    checkPeerSocketType(this.opts.socketType, props);
    this.peerProperties = props;
    this.peerPublicKey = step.done.peerPublicKey;
    this.state = 'ready';
    this.ready = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.heartbeat.active) this.armHeartbeat();
    this.owner.connReady(this);
    if (this.state !== 'ready') return;
    if (this.queue.length > 0) this.onDrain();
    else this.blocked = false;
  }

  private onFrame(flags: number, body: Uint8Array): void {
    if (this.state === 'handshake') {
      if ((flags & FLAG_COMMAND) === 0)
        throw new ZmtpError('PROTOCOL', 'data frame before the handshake finished');
      this.handshakeStep(this.session.onCommand(body));
      return;
    }
    if (this.state !== 'ready') return;
    if (this.session.transformsFrames) {
      const f = this.session.decode({ flags, body });
      flags = f.flags;
      body = f.body;
    }
    if ((flags & FLAG_COMMAND) !== 0) {
      this.onCommand(body);
      return;
    }
    this.partsBytes += body.length;
    if (this.partsBytes > this.opts.maxMessageBytes) {
      throw new ZmtpError(
        'TOO_LARGE',
        `message exceeds maxMessageBytes ${this.opts.maxMessageBytes}`,
      );
    }
    this.parts.push(body);
    if ((flags & FLAG_MORE) !== 0) return;
    const parts = this.parts;
    this.parts = [];
    this.partsBytes = 0;
    if (this.opts.socketType === 'XPUB' && parts.length === 1) {
      const b = parts[0]!;
      if (b.length > 0 && (b[0] === 1 || b[0] === 0))
        this.owner.connSubscription(this, b.subarray(1), b[0] === 1);
      return;
    }
    this.owner.connMessage(this, parts);
  }

  private onCommand(body: Uint8Array): void {
    const cmd = decodeCommand(body);
    switch (cmd.name) {
      case 'PING': {
        const pong = this.heartbeat.onPing(cmd.data);
        // A first TTL from the peer starts the ticks when this side does not ping.
        if (this.timer === undefined && this.heartbeat.active) this.armHeartbeat();
        this.writeFrame(FLAG_COMMAND, pong);
        return;
      }
      case 'PONG':
        return;
      case 'SUBSCRIBE':
      case 'CANCEL':
        if (this.opts.socketType === 'XPUB')
          this.owner.connSubscription(this, cmd.data, cmd.name === 'SUBSCRIBE');
        return;
      case 'ERROR': {
        throw new ZmtpError('PEER_ERROR', `peer sent ERROR: ${errorCommandReason(cmd.data)}`);
      }
      default:
        // Unknown commands are ignored, as RFC 37 asks.
        return;
    }
  }

  private armHeartbeat(): void {
    const interval = this.heartbeat.intervalMs;
    const tick = (): void => {
      if (this.state !== 'ready') return;
      const due = this.heartbeat.tick(Date.now());
      if (due instanceof ZmtpError) {
        this.fail('protocol', due);
        return;
      }
      if (due !== undefined) this.writeFrame(FLAG_COMMAND, due);
      this.timer = setTimeout(tick, interval);
    };
    this.timer = setTimeout(tick, interval);
  }

  private onDrain(): void {
    if (this.state !== 'ready') return;
    const wasFull = this.full;
    while (this.queue.length > 0) {
      const msg = this.queue.shift()!;
      for (const f of msg) this.queueBytes -= f.length;
      if (!this.writeMessage(msg)) {
        this.blocked = true;
        if (wasFull && !this.full) this.owner.connWritable(this);
        return;
      }
    }
    this.blocked = false;
    this.queueBytes = 0;
    this.owner.connWritable(this);
  }

  private writeFrame(flags: number, body: Uint8Array): boolean {
    if (this.session.transformsFrames && this.state === 'ready') {
      const w = this.session.encode({ flags, body });
      return writeFrame(this.socket, w.flags, w.body);
    }
    return writeFrame(this.socket, flags, body);
  }

  /** Writes one message; returns socket.write's verdict. */
  private writeMessage(frames: readonly Uint8Array[]): boolean {
    if (!this.session.transformsFrames) return writeMessage(this.socket, frames);
    const n = frames.length;
    let ok = true;
    for (let i = 0; i < n; i++) ok = this.writeFrame(i < n - 1 ? FLAG_MORE : 0, frames[i]!);
    return ok;
  }
}
