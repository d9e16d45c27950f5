/**
 * The CURVE server session: WELCOME (with a single-use cookie) for a HELLO,
 * then READY once INITIATE's cookie and vouch check out and the client key
 * is admitted. The wire is described in `curve-mechanism.ts`.
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
  equalBytes,
  HELLO_SIZE,
  handshake,
  hex,
  INITIATE_MIN,
  importLongTermKeys,
  nonce,
  P_COOKIE,
  P_HELLO,
  P_INITIATE,
  P_MESSAGE_C,
  P_MESSAGE_S,
  P_READY,
  P_VOUCH,
  P_WELCOME,
  protocol,
  WELCOME_SIZE,
} from './curve-wire.js';
import { ZmtpError } from './errors.js';
import type { HandshakeStep, MechanismContext, MechanismFactory } from './mechanism.js';

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
 * A CURVE server. A client is admitted when it proves its long-term key and
 * that key passes `allowedClientKeys` and `authorize` (each when given);
 * otherwise the handshake fails with `UNAUTHORIZED` (the engine sends an
 * ERROR command). With neither option, every client that knows the server's
 * public key is admitted — as libzmq without a ZAP handler: encryption
 * without client authentication. The handshake result carries the client's
 * long-term key as `peerPublicKey`.
 */
export function curveServer(options: CurveServerOptions): MechanismFactory {
  const secret = importLongTermKeys(options.publicKey, options.secretKey, 'curveServer');
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
