/**
 * The CURVE message codec (short nonces and the per-frame boxes once the
 * handshake is done) and the session base both sides build on.
 */
import { boxOpen, boxSeal } from './curve-box.js';
import {
  BOX_COMMAND,
  BOX_MORE,
  equalBytes,
  FLAG_COMMAND,
  FLAG_MORE,
  handshake,
  MESSAGE_MIN,
  MESSAGE_NAME,
  nonce,
  protocol,
} from './curve-wire.js';
import type { HandshakeStep, MechanismSession, WireFrame } from './mechanism.js';

/**
 * Short nonces (64-bit big-endian counters) and the per-frame boxes once the
 * handshake is done. Shared by both sides; only the prefixes differ.
 */
export class CurveCodec {
  /** Next nonce this side sends (2^53 is beyond any connection's life). */
  private nextNonce: number;
  private peerHi = 0;
  private peerLo = 0;
  private readonly sendNonce = new Uint8Array(24);
  private readonly recvNonce = new Uint8Array(24);
  precom: Uint8Array = new Uint8Array(32);

  constructor(sendPrefix: Uint8Array, recvPrefix: Uint8Array, firstNonce: number) {
    this.nextNonce = firstNonce;
    this.sendNonce.set(sendPrefix);
    this.recvNonce.set(recvPrefix);
  }

  /** Takes the next short nonce and writes it (8 bytes BE) at `out[at..]`. */
  takeNonce(out: Uint8Array, at: number): void {
    const n = this.nextNonce++;
    const view = new DataView(out.buffer, out.byteOffset + at, 8);
    view.setUint32(0, Math.floor(n / 0x100000000));
    view.setUint32(4, n >>> 0);
  }

  /**
   * Checks that the peer's short nonce at `data[at..at+8]` is greater than
   * the last one, and remembers it.
   */
  acceptPeerNonce(data: Uint8Array, at: number, first: boolean): void {
    const view = new DataView(data.buffer, data.byteOffset + at, 8);
    const hi = view.getUint32(0);
    const lo = view.getUint32(4);
    if (!first && (hi < this.peerHi || (hi === this.peerHi && lo <= this.peerLo))) {
      throw protocol('CURVE: short nonce did not increase (replayed or reordered)');
    }
    this.peerHi = hi;
    this.peerLo = lo;
  }

  /**
   * Builds a handshake command (READY, INITIATE) with a box sealed under
   * `precom` and the next short nonce: `head` (the name, then for INITIATE
   * the cookie), the 8-byte short nonce (prefixed `prefix` in the box's
   * nonce), the box.
   */
  sealCommand(head: readonly Uint8Array[], prefix: Uint8Array, plain: Uint8Array): Uint8Array {
    const n = new Uint8Array(24);
    n.set(prefix);
    this.takeNonce(n, 16);
    const box = boxSeal(this.precom, n, plain);
    let at = 0;
    for (const part of head) at += part.length;
    const command = new Uint8Array(at + 8 + box.length);
    at = 0;
    for (const part of head) {
      command.set(part, at);
      at += part.length;
    }
    command.set(n.subarray(16), at);
    command.set(box, at + 8);
    return command;
  }

  /**
   * Opens the box of the peer's handshake command `what` (READY, INITIATE):
   * its short nonce, prefixed `prefix`, at `body[at..at+8]` and the box right
   * after, under `precom`. Throws `HANDSHAKE` when the box does not open;
   * only an authentic box has its nonce accepted ({@link acceptPeerNonce}).
   */
  openCommand(
    body: Uint8Array,
    prefix: Uint8Array,
    at: number,
    first: boolean,
    what: string,
  ): Uint8Array {
    const plain = boxOpen(
      this.precom,
      nonce(prefix, body.subarray(at, at + 8)),
      body.subarray(at + 8),
    );
    if (plain === undefined) throw handshake(`CURVE: ${what} does not open`);
    this.acceptPeerNonce(body, at, first);
    return plain;
  }

  encode(frame: WireFrame): WireFrame {
    const body = frame.body;
    const plain = new Uint8Array(1 + body.length);
    plain[0] =
      (frame.flags & FLAG_MORE ? BOX_MORE : 0) | (frame.flags & FLAG_COMMAND ? BOX_COMMAND : 0);
    plain.set(body, 1);
    this.takeNonce(this.sendNonce, 16);
    const box = boxSeal(this.precom, this.sendNonce, plain);
    // name (8) | short nonce (8) | MAC + ciphertext
    const out = new Uint8Array(16 + box.length);
    out.set(box, 16);
    out.set(MESSAGE_NAME, 0);
    out.set(this.sendNonce.subarray(16), 8);
    return { flags: 0, body: out };
  }

  decode(frame: WireFrame): WireFrame {
    const body = frame.body;
    if (body.length < 8 || !equalBytes(body.subarray(0, 8), MESSAGE_NAME)) {
      throw protocol('CURVE: expected a MESSAGE command');
    }
    if (body.length < MESSAGE_MIN) throw protocol('CURVE: MESSAGE too short');
    this.recvNonce.set(body.subarray(8, 16), 16);
    const plain = boxOpen(this.precom, this.recvNonce, body.subarray(16));
    if (plain === undefined) throw protocol('CURVE: MESSAGE box does not open');
    // Only an authentic box may move the nonce window.
    this.acceptPeerNonce(body, 8, false);
    const boxed = plain[0]!;
    return {
      flags: (boxed & BOX_MORE ? FLAG_MORE : 0) | (boxed & BOX_COMMAND ? FLAG_COMMAND : 0),
      body: plain.subarray(1),
    };
  }
}

/** What both sides share: the message codec, usable once the handshake is done. */
export abstract class CurveSession implements MechanismSession {
  readonly name = 'CURVE' as const;
  abstract readonly asServer: boolean;
  readonly transformsFrames = true;
  /** The handshake step; `'done'` once messages may flow. */
  protected abstract state: string;
  protected abstract readonly codec: CurveCodec;

  abstract start(): HandshakeStep;
  abstract onCommand(body: Uint8Array): HandshakeStep;

  encode(frame: WireFrame): WireFrame {
    if (this.state !== 'done') throw protocol('CURVE: encode before the handshake is done');
    return this.codec.encode(frame);
  }

  decode(frame: WireFrame): WireFrame {
    if (this.state !== 'done') throw protocol('CURVE: decode before the handshake is done');
    return this.codec.decode(frame);
  }
}
