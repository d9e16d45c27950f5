/**
 * The CURVE security mechanism (CurveZMQ, RFC 26, as ZMTP 3.x and libzmq
 * carry it): client and server sessions behind the `MechanismSession` seam.
 *
 * Handshake: client HELLO → server WELCOME (with a cookie) → client INITIATE
 * (with the vouch and its metadata) → server READY (its metadata). Then every
 * frame travels as a MESSAGE command: `\x07MESSAGE`, an 8-byte short nonce,
 * and a box holding one flags byte (MORE = 1, COMMAND = 2: libzmq's values,
 * not the frame's) followed by the body.
 * Each box uses a key precomputed once per connection, so a frame costs one
 * XSalsa20-Poly1305 seal or open.
 *
 * Wire choices that follow libzmq 4.3.5 (checked against its sources):
 * - MESSAGE frames are sent with wire flags 0 (libzmq ORs wire flags into the
 *   decoded ones, so a COMMAND bit on the wire would turn data into a
 *   command); received MESSAGE frames are accepted with or without the
 *   COMMAND bit, and the wire MORE bit is ignored in favour of the boxed one.
 * - Short nonces: the client uses 1 for HELLO, 2 for INITIATE, then 3, 4, ...;
 *   the server 1 for READY, then 2, 3, ... Each side requires the peer's
 *   nonces to increase strictly (HELLO < INITIATE < MESSAGEs; READY < MESSAGEs).
 * - The cookie key is random per connection and forgotten once INITIATE has
 *   been checked (libzmq's rotation), so a cookie is never accepted twice.
 */
import { decodeCommand, decodeProperties, encodeCommand, encodeProperties } from './command.js';
import {
  boxBeforeNm,
  boxOpen,
  boxSeal,
  type CurveSecret,
  generateCurveSecret,
  importCurveSecret,
  randomBytes,
} from './curve-box.js';
import { type CurveKey, curveKeyBytes } from './curve-keys.js';
import { ZmtpError } from './errors.js';
import type {
  HandshakeResult,
  HandshakeStep,
  MechanismContext,
  MechanismFactory,
  MechanismSession,
  WireFrame,
} from './mechanism.js';

/** Options of {@link curveClient}. */
export interface CurveClientOptions {
  /** The server's long-term public key (32 bytes or 40 Z85 characters). */
  readonly serverPublicKey: CurveKey;
  /** This client's long-term public key. */
  readonly publicKey: CurveKey;
  /** This client's long-term secret key. */
  readonly secretKey: CurveKey;
}

/** Options of {@link curveServer}. */
export interface CurveServerOptions {
  /** The server's long-term public key. */
  readonly publicKey: CurveKey;
  /** The server's long-term secret key. */
  readonly secretKey: CurveKey;
  /**
   * Decides whether a client (by its long-term public key) may connect.
   * Returning false or throwing refuses it (`UNAUTHORIZED`). Default: none.
   */
  readonly authorize?: (clientPublicKey: Uint8Array) => boolean;
  /**
   * The client public keys allowed to connect. When given together with
   * `authorize`, a client must pass both. Default: none. With neither option
   * every client that knows the server's public key is admitted.
   */
  readonly allowedClientKeys?: Iterable<CurveKey>;
}

const FLAG_MORE = 1;
const FLAG_COMMAND = 4;
/**
 * Inside the box the flags byte is libzmq's own message flags, not the ZMTP
 * frame flags: MORE is bit 0 (RFC 26), COMMAND is bit 1 (libzmq's
 * `msg_t::command`, used for PING/PONG/SUBSCRIBE/CANCEL). Other bits are
 * ignored, as libzmq does.
 */
const BOX_MORE = 1;
const BOX_COMMAND = 2;
const enc = new TextEncoder();
const MESSAGE_NAME = enc.encode('\x07MESSAGE');
/** Name (8) + short nonce (8) + MAC (16) + flags (1). */
const MESSAGE_MIN = 33;
const HELLO_SIZE = 200;
const WELCOME_SIZE = 168;
const INITIATE_MIN = 257;
const READY_MIN = 30;

function prefix(text: string): Uint8Array {
  return enc.encode(text);
}

const P_HELLO = prefix('CurveZMQHELLO---');
const P_WELCOME = prefix('WELCOME-');
const P_INITIATE = prefix('CurveZMQINITIATE');
const P_READY = prefix('CurveZMQREADY---');
const P_MESSAGE_C = prefix('CurveZMQMESSAGEC');
const P_MESSAGE_S = prefix('CurveZMQMESSAGES');
const P_VOUCH = prefix('VOUCH---');
const P_COOKIE = prefix('COOKIE--');

function nonce(pre: Uint8Array, rest: Uint8Array): Uint8Array {
  const n = new Uint8Array(24);
  n.set(pre);
  n.set(rest.subarray(0, 24 - pre.length), pre.length);
  return n;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

function handshake(message: string): ZmtpError {
  return new ZmtpError('HANDSHAKE', message);
}

function protocol(message: string): ZmtpError {
  return new ZmtpError('PROTOCOL', message);
}

function beforeNm(secretKey: CurveSecret, publicKey: Uint8Array, what: string): Uint8Array {
  const key = boxBeforeNm(secretKey, publicKey);
  if (key === undefined) throw handshake(`CURVE: degenerate ${what} key`);
  return key;
}

/**
 * Short nonces (64-bit big-endian counters) and the per-frame boxes once the
 * handshake is done. Shared by both sides; only the prefixes differ.
 */
class CurveCodec {
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

function commandName(body: Uint8Array): string {
  return decodeCommand(body).name;
}

function peerError(body: Uint8Array): ZmtpError {
  const { data } = decodeCommand(body);
  const n = data[0] ?? 0;
  const reason = Buffer.from(data.subarray(1, 1 + n)).toString('latin1');
  return new ZmtpError('PEER_ERROR', `CURVE: peer refused the handshake: ${reason}`);
}

/** What both sides share: the message codec, usable once the handshake is done. */
abstract class CurveSession implements MechanismSession {
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

class CurveClientSession extends CurveSession {
  readonly asServer = false;
  protected state: 'start' | 'welcome' | 'ready' | 'done' | 'failed' = 'start';
  protected readonly codec = new CurveCodec(P_MESSAGE_C, P_MESSAGE_S, 1);
  private readonly cn: CurveSecret = generateCurveSecret();
  /** box(cn, S): seals HELLO, opens WELCOME. */
  private helloKey: Uint8Array | undefined;

  constructor(
    private readonly serverKey: Uint8Array,
    private readonly secret: CurveSecret,
    private readonly context: MechanismContext,
  ) {
    super();
  }

  start(): HandshakeStep {
    if (this.state !== 'start') throw protocol('CURVE: start() called twice');
    const hello = new Uint8Array(HELLO_SIZE);
    hello.set(enc.encode('\x05HELLO'), 0);
    hello[6] = 1; // version 1.0, then 72 bytes of anti-amplification padding
    hello.set(this.cn.publicKey, 80);
    const n = new Uint8Array(24);
    n.set(P_HELLO);
    this.codec.takeNonce(n, 16);
    hello.set(n.subarray(16), 112);
    this.helloKey = beforeNm(this.cn, this.serverKey, 'server');
    hello.set(boxSeal(this.helloKey, n, new Uint8Array(64)), 120);
    this.state = 'welcome';
    return { send: [hello] };
  }

  onCommand(body: Uint8Array): HandshakeStep {
    try {
      return this.step(body);
    } catch (err) {
      this.state = 'failed';
      throw err instanceof ZmtpError ? err : protocol(`CURVE: ${String(err)}`);
    }
  }

  private step(body: Uint8Array): HandshakeStep {
    const name = commandName(body);
    if (name === 'ERROR' && (this.state === 'welcome' || this.state === 'ready'))
      throw peerError(body);
    if (this.state === 'welcome' && name === 'WELCOME') return this.onWelcome(body);
    if (this.state === 'ready' && name === 'READY') return { send: [], done: this.onReady(body) };
    throw protocol(`CURVE: unexpected ${name} in state ${this.state}`);
  }

  private onWelcome(body: Uint8Array): HandshakeStep {
    if (body.length !== WELCOME_SIZE) throw protocol('CURVE: WELCOME has the wrong size');
    const key = this.helloKey;
    this.helloKey = undefined;
    if (key === undefined) throw protocol('CURVE: WELCOME before HELLO');
    const plain = boxOpen(key, nonce(P_WELCOME, body.subarray(8, 24)), body.subarray(24));
    if (plain === undefined) throw handshake('CURVE: WELCOME does not open (wrong server key?)');
    const cnServer = plain.slice(0, 32);
    const cookie = plain.slice(32, 128);
    this.codec.precom = beforeNm(this.cn, cnServer, 'server short-term');

    const vouchNonce = nonce(P_VOUCH, randomBytes(16));
    const vouchPlain = new Uint8Array(64);
    vouchPlain.set(this.cn.publicKey, 0);
    vouchPlain.set(this.serverKey, 32);
    const vouch = boxSeal(
      beforeNm(this.secret, cnServer, 'server short-term'),
      vouchNonce,
      vouchPlain,
    );

    const metadata = encodeProperties(this.context.properties);
    const initPlain = new Uint8Array(128 + metadata.length);
    initPlain.set(this.secret.publicKey, 0);
    initPlain.set(vouchNonce.subarray(8), 32);
    initPlain.set(vouch, 48);
    initPlain.set(metadata, 128);
    const initiate = this.codec.sealCommand(
      [enc.encode('\x08INITIATE'), cookie],
      P_INITIATE,
      initPlain,
    );
    this.state = 'ready';
    return { send: [initiate] };
  }

  private onReady(body: Uint8Array): HandshakeResult {
    if (body.length < READY_MIN) throw protocol('CURVE: READY too short');
    const plain = this.codec.openCommand(body, P_READY, 6, true, 'READY');
    const peerProperties = decodeProperties(plain);
    this.state = 'done';
    return { peerProperties };
  }
}

class CurveServerSession extends CurveSession {
  /** The CURVE server sets the greeting's as-server bit. */
  readonly asServer = true;
  protected state: 'hello' | 'initiate' | 'done' | 'failed' = 'hello';
  protected readonly codec = new CurveCodec(P_MESSAGE_S, P_MESSAGE_C, 1);
  private cnClient: Uint8Array = new Uint8Array(32);
  private cn: CurveSecret | undefined;
  private cookieKey: Uint8Array | undefined;

  constructor(
    private readonly secret: CurveSecret,
    private readonly admit: (clientKey: Uint8Array) => boolean,
    private readonly context: MechanismContext,
  ) {
    super();
  }

  start(): HandshakeStep {
    return { send: [] };
  }

  onCommand(body: Uint8Array): HandshakeStep {
    try {
      const name = commandName(body);
      if (this.state === 'hello' && name === 'HELLO') return this.onHello(body);
      if (this.state === 'initiate' && name === 'INITIATE') return this.onInitiate(body);
      throw protocol(`CURVE: unexpected ${name} in state ${this.state}`);
    } catch (err) {
      this.state = 'failed';
      this.cookieKey = undefined;
      this.cn = undefined;
      throw err instanceof ZmtpError ? err : protocol(`CURVE: ${String(err)}`);
    }
  }

  private onHello(body: Uint8Array): HandshakeStep {
    if (body.length !== HELLO_SIZE) throw protocol('CURVE: HELLO has the wrong size');
    if (body[6] !== 1 || body[7] !== 0) throw protocol('CURVE: unsupported CurveZMQ version');
    this.cnClient = body.slice(80, 112);
    const key = beforeNm(this.secret, this.cnClient, 'client short-term');
    const plain = boxOpen(key, nonce(P_HELLO, body.subarray(112, 120)), body.subarray(120, 200));
    if (plain === undefined)
      throw handshake('CURVE: HELLO does not open (client has the wrong server key?)');
    this.codec.acceptPeerNonce(body, 112, true);

    const cn = generateCurveSecret();
    this.cn = cn;
    // A fresh cookie key per connection, dropped after INITIATE (rotation).
    this.cookieKey = randomBytes(32);
    const cookieNonce = nonce(P_COOKIE, randomBytes(16));
    const cookiePlain = new Uint8Array(64);
    cookiePlain.set(this.cnClient, 0);
    cookiePlain.set(cn.raw, 32);
    const cookie = boxSeal(this.cookieKey, cookieNonce, cookiePlain);

    const welcomePlain = new Uint8Array(128);
    welcomePlain.set(cn.publicKey, 0);
    welcomePlain.set(cookieNonce.subarray(8), 32);
    welcomePlain.set(cookie, 48);
    const welcomeNonce = nonce(P_WELCOME, randomBytes(16));
    const welcome = new Uint8Array(WELCOME_SIZE);
    welcome.set(enc.encode('\x07WELCOME'), 0);
    welcome.set(welcomeNonce.subarray(8), 8);
    welcome.set(boxSeal(key, welcomeNonce, welcomePlain), 24);
    this.state = 'initiate';
    return { send: [welcome] };
  }

  private onInitiate(body: Uint8Array): HandshakeStep {
    if (body.length < INITIATE_MIN) throw protocol('CURVE: INITIATE too short');
    const cookieKey = this.cookieKey;
    const cn = this.cn;
    this.cookieKey = undefined;
    if (cookieKey === undefined || cn === undefined) throw protocol('CURVE: no cookie outstanding');
    const cookie = boxOpen(
      cookieKey,
      nonce(P_COOKIE, body.subarray(9, 25)),
      body.subarray(25, 105),
    );
    if (
      cookie === undefined ||
      !equalBytes(cookie.subarray(0, 32), this.cnClient) ||
      !equalBytes(cookie.subarray(32, 64), cn.raw)
    ) {
      throw handshake('CURVE: INITIATE carries a bad cookie');
    }
    this.codec.precom = beforeNm(cn, this.cnClient, 'client short-term');
    const plain = this.codec.openCommand(body, P_INITIATE, 105, false, 'INITIATE');
    const clientKey = plain.slice(0, 32);
    const vouch = boxOpen(
      beforeNm(cn, clientKey, 'client'),
      nonce(P_VOUCH, plain.subarray(32, 48)),
      plain.subarray(48, 128),
    );
    if (
      vouch === undefined ||
      !equalBytes(vouch.subarray(0, 32), this.cnClient) ||
      !equalBytes(vouch.subarray(32, 64), this.secret.publicKey)
    ) {
      throw handshake('CURVE: INITIATE carries a bad vouch');
    }
    const peerProperties = decodeProperties(plain.subarray(128));
    let admitted = false;
    try {
      admitted = this.admit(clientKey) === true;
    } catch {
      admitted = false; // fail closed
    }
    // The reason travels in the ERROR command; libzmq sends ZAP's "400" here.
    if (!admitted) throw new ZmtpError('UNAUTHORIZED', 'CURVE: client key not authorized');

    const metadata = encodeProperties(this.context.properties);
    const ready = this.codec.sealCommand([enc.encode('\x05READY')], P_READY, metadata);
    this.cn = undefined;
    this.state = 'done';
    return { send: [ready], done: { peerProperties, peerPublicKey: clientKey } };
  }
}

/**
 * A CURVE client: every connection handshakes with a fresh short-term key
 * pair and authenticates with `publicKey`/`secretKey` to the server whose
 * long-term key is `serverPublicKey`. A wrong server key fails the handshake
 * (`HANDSHAKE`); keys are checked (32 bytes or 40 Z85 characters) here.
 */
export function curveClient(options: CurveClientOptions): MechanismFactory {
  const serverKey = curveKeyBytes(options.serverPublicKey, 'serverPublicKey');
  const publicKey = curveKeyBytes(options.publicKey, 'publicKey');
  const secret = importCurveSecret(curveKeyBytes(options.secretKey, 'secretKey'));
  if (!equalBytes(secret.publicKey, publicKey)) {
    throw new RangeError('curveClient: publicKey does not belong to secretKey');
  }
  return (context) => new CurveClientSession(serverKey, secret, context);
}

/**
 * A CURVE server. A client is admitted when it proves its long-term key and
 * that key passes `allowedClientKeys` and `authorize` (each when given);
 * otherwise the handshake fails with `UNAUTHORIZED` (the engine sends an
 * ERROR command). With neither option, every client that knows the server's
 * public key is admitted — as libzmq without a ZAP handler: encryption
 * without client authentication. The handshake result carries the client's
 * long-term key as `peerPublicKey`.
 */
export function curveServer(options: CurveServerOptions): MechanismFactory {
  const publicKey = curveKeyBytes(options.publicKey, 'publicKey');
  const secret = importCurveSecret(curveKeyBytes(options.secretKey, 'secretKey'));
  if (!equalBytes(secret.publicKey, publicKey)) {
    throw new RangeError('curveServer: publicKey does not belong to secretKey');
  }
  const allowed =
    options.allowedClientKeys === undefined
      ? undefined
      : new Set(
          Array.from(options.allowedClientKeys, (k) =>
            hex(curveKeyBytes(k, 'allowedClientKeys entry')),
          ),
        );
  const authorize = options.authorize;
  const admit = (clientKey: Uint8Array): boolean => {
    if (allowed !== undefined && !allowed.has(hex(clientKey))) return false;
    if (authorize !== undefined && authorize(clientKey.slice()) !== true) return false;
    return true;
  };
  return (context) => new CurveServerSession(secret, admit, context);
}

/** The body of an ERROR command (RFC 37) with `reason` (at most 255 bytes). */
export function curveErrorCommand(reason: string): Uint8Array {
  const r = enc.encode(reason).subarray(0, 255);
  const data = new Uint8Array(1 + r.length);
  data[0] = r.length;
  data.set(r, 1);
  return encodeCommand('ERROR', data);
}

/**
 * The reason an engine should put in the ERROR command for a failed
 * handshake: `400` for `UNAUTHORIZED` (what libzmq sends when ZAP refuses;
 * libzmq peers then report an authentication failure), else the error's
 * message cut to 255 bytes.
 */
export function curveErrorReason(err: ZmtpError): string {
  return err.code === 'UNAUTHORIZED' ? '400' : err.message.slice(0, 255);
}
