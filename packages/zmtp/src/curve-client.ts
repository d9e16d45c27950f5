/**
 * The CURVE client session: HELLO, then INITIATE with the vouch once the
 * server's WELCOME opens, then READY. The wire is described in
 * `curve-mechanism.ts`.
 */
import { decodeProperties, encodeProperties } from './command.js';
import {
  boxOpen,
  boxSeal,
  type CurveSecret,
  generateCurveSecret,
  randomBytes,
} from './curve-box.js';
import { CurveCodec, CurveSession } from './curve-codec.js';
import { type CurveKey, curveKeyBytes } from './curve-keys.js';
import {
  beforeNm,
  commandName,
  enc,
  HELLO_SIZE,
  handshake,
  importLongTermKeys,
  nonce,
  P_HELLO,
  P_INITIATE,
  P_MESSAGE_C,
  P_MESSAGE_S,
  P_READY,
  P_VOUCH,
  P_WELCOME,
  peerError,
  protocol,
  READY_MIN,
  WELCOME_SIZE,
} from './curve-wire.js';
import { ZmtpError } from './errors.js';
import type {
  HandshakeResult,
  HandshakeStep,
  MechanismContext,
  MechanismFactory,
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

/**
 * A CURVE client: every connection handshakes with a fresh short-term key
 * pair and authenticates with `publicKey`/`secretKey` to the server whose
 * long-term key is `serverPublicKey`. A wrong server key fails the handshake
 * (`HANDSHAKE`); keys are checked (32 bytes or 40 Z85 characters) here.
 */
export function curveClient(options: CurveClientOptions): MechanismFactory {
  const serverKey = curveKeyBytes(options.serverPublicKey, 'serverPublicKey');
  const secret = importLongTermKeys(options.publicKey, options.secretKey, 'curveClient');
  return (context) => new CurveClientSession(serverKey, secret, context);
}
