/**
 * A deliberately small ZMTP 3.x peer over node:net, enough to drive one
 * CURVE `MechanismSession` against libzmq in tests while the real engine is
 * written elsewhere: greeting (mechanism CURVE, as-server bit), command
 * frames until the handshake is done, then MESSAGE frames through the
 * session's encode/decode. It records every byte sent and received so tests
 * can look for plaintext on the wire.
 */
import * as net from 'node:net';
import { encodeCommand } from '../src/command.js';
import { curveErrorReason } from '../src/curve-mechanism.js';
import { ZmtpError } from '../src/errors.js';
import type {
  HandshakeResult,
  MechanismFactory,
  MechanismSession,
  WireFrame,
} from '../src/mechanism.js';

const FLAG_MORE = 1;
const FLAG_LONG = 2;
const FLAG_COMMAND = 4;
const enc = new TextEncoder();

function greeting(asServer: boolean): Uint8Array {
  const g = new Uint8Array(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 1;
  g.set(enc.encode('CURVE'), 12);
  g[32] = asServer ? 1 : 0;
  return g;
}

function frameHeader(flags: number, size: number): Uint8Array {
  if (size <= 255) return Uint8Array.of(flags, size);
  const h = new Uint8Array(9);
  h[0] = flags | FLAG_LONG;
  new DataView(h.buffer).setBigUint64(1, BigInt(size));
  return h;
}

/** Default metadata: a DEALER (client) or ROUTER (server). */
export function props(socketType: string): Map<string, Uint8Array> {
  return new Map([['Socket-Type', enc.encode(socketType)]]);
}

/** One connection driven by a CURVE session. */
export class HarnessPeer {
  readonly session: MechanismSession;
  /** Everything received and sent, raw, for plaintext checks. */
  readonly wireIn: Buffer[] = [];
  readonly wireOut: Buffer[] = [];
  /** Command frames received after the handshake (decoded bodies). */
  readonly commands: Uint8Array[] = [];
  /** Resolves when the handshake is done; rejects with the handshake's error. */
  readonly handshake: Promise<HandshakeResult>;
  private resolveHs!: (r: HandshakeResult) => void;
  private rejectHs!: (e: Error) => void;
  private buf: Buffer = Buffer.alloc(0);
  private greeted = false;
  private done = false;
  private failure: Error | undefined;
  private parts: Uint8Array[] = [];
  private readonly inbox: Uint8Array[][] = [];
  private readonly waiters: { resolve: (m: Uint8Array[]) => void; reject: (e: Error) => void }[] =
    [];

  constructor(
    readonly socket: net.Socket,
    factory: MechanismFactory,
    asServer: boolean,
    socketType: string,
  ) {
    this.session = factory({ properties: props(socketType), asServer });
    this.handshake = new Promise((resolve, reject) => {
      this.resolveHs = resolve;
      this.rejectHs = reject;
    });
    this.handshake.catch(() => {});
    socket.on('data', (d: Buffer) => {
      this.wireIn.push(d);
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      try {
        this.pump();
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new ZmtpError('CLOSED', 'connection closed')));
    this.write(greeting(asServer));
  }

  private write(b: Uint8Array): void {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.wireOut.push(Buffer.from(buf));
    this.socket.write(buf);
  }

  private writeFrame(frame: WireFrame): void {
    this.write(frameHeader(frame.flags, frame.body.length));
    this.write(frame.body);
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.rejectHs(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.socket.destroy();
  }

  private pump(): void {
    if (!this.greeted) {
      if (this.buf.length < 64) return;
      if (this.buf[0] !== 0xff || this.buf[9] !== 0x7f)
        throw new ZmtpError('PROTOCOL', 'bad greeting');
      const mech = this.buf.subarray(12, 32).toString('latin1').replace(/\0+$/, '');
      if (mech !== 'CURVE') throw new ZmtpError('MECHANISM', `peer mechanism ${mech}`);
      this.buf = this.buf.subarray(64);
      this.greeted = true;
      this.sendStep(this.session.start().send);
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const flags = this.buf[0]!;
      let size: number;
      let at: number;
      if (flags & FLAG_LONG) {
        if (this.buf.length < 9) return;
        size = Number(this.buf.readBigUInt64BE(1));
        at = 9;
      } else {
        size = this.buf[1]!;
        at = 2;
      }
      if (this.buf.length < at + size) return;
      const body = new Uint8Array(this.buf.subarray(at, at + size));
      this.buf = this.buf.subarray(at + size);
      this.onFrame({ flags: flags & ~FLAG_LONG, body });
      if (this.failure !== undefined) return;
    }
  }

  private sendStep(cmds: readonly Uint8Array[]): void {
    for (const c of cmds) this.writeFrame({ flags: FLAG_COMMAND, body: c });
  }

  private onFrame(frame: WireFrame): void {
    if (!this.done) {
      if (!(frame.flags & FLAG_COMMAND))
        throw new ZmtpError('PROTOCOL', 'message before handshake');
      let step: ReturnType<MechanismSession['onCommand']>;
      try {
        step = this.session.onCommand(frame.body);
      } catch (err) {
        // As an engine would: tell the peer why (RFC 37 ERROR), then close.
        if (err instanceof ZmtpError && err.code !== 'PEER_ERROR') {
          const reason = enc.encode(curveErrorReason(err));
          this.writeFrame({
            flags: FLAG_COMMAND,
            body: encodeCommand('ERROR', Uint8Array.of(reason.length, ...reason)),
          });
          this.socket.end();
        }
        throw err;
      }
      this.sendStep(step.send);
      if (step.done !== undefined) {
        this.done = true;
        this.resolveHs(step.done);
      }
      return;
    }
    const plain = this.session.decode(frame);
    if (plain.flags & FLAG_COMMAND) {
      this.commands.push(plain.body); // PING/PONG and the like, boxed too
      return;
    }
    this.parts.push(plain.body);
    if (plain.flags & FLAG_MORE) return;
    const msg = this.parts;
    this.parts = [];
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve(msg);
    else this.inbox.push(msg);
  }

  /** Sends one multipart message through the session. */
  send(parts: readonly (Uint8Array | string)[]): void {
    parts.forEach((p, i) => {
      const body = typeof p === 'string' ? enc.encode(p) : p;
      this.writeFrame(this.session.encode({ flags: i < parts.length - 1 ? FLAG_MORE : 0, body }));
    });
  }

  /** Sends one command frame (e.g. PING) through the session. */
  sendCommand(body: Uint8Array): void {
    this.writeFrame(this.session.encode({ flags: FLAG_COMMAND, body }));
  }

  /** The next whole message. */
  recv(): Promise<Uint8Array[]> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects to `port` as a CURVE client. */
export function connectPeer(
  port: number,
  factory: MechanismFactory,
  socketType = 'DEALER',
): HarnessPeer {
  return new HarnessPeer(net.connect(port, '127.0.0.1'), factory, false, socketType);
}

/** Listens on an ephemeral port; each accepted connection becomes a CURVE server peer. */
export async function listenPeers(
  factory: MechanismFactory,
  socketType = 'ROUTER',
): Promise<{ port: number; peers: HarnessPeer[]; close(): void }> {
  const peers: HarnessPeer[] = [];
  const server = net.createServer((s) => peers.push(new HarnessPeer(s, factory, true, socketType)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    peers,
    close() {
      for (const p of peers) p.close();
      server.close();
    },
  };
}

/**
 * Wires a client and a server session to each other in memory and runs the
 * handshake; returns both results (or throws the first session's error).
 */
export function handshakeInMemory(
  client: MechanismSession,
  server: MechanismSession,
): { client: HandshakeResult; server: HandshakeResult } {
  let toServer = [...client.start().send];
  let toClient = [...server.start().send];
  let c: HandshakeResult | undefined;
  let s: HandshakeResult | undefined;
  for (let round = 0; round < 10 && (c === undefined || s === undefined); round++) {
    const nextToClient: Uint8Array[] = [...toClient.splice(0)];
    for (const cmd of toServer) {
      const step = server.onCommand(cmd);
      nextToClient.push(...step.send);
      if (step.done) s = step.done;
    }
    toServer = [];
    for (const cmd of nextToClient) {
      const step = client.onCommand(cmd);
      toServer.push(...step.send);
      if (step.done) c = step.done;
    }
    toClient = [];
  }
  if (c === undefined || s === undefined) throw new Error('handshake did not finish');
  return { client: c, server: s };
}
