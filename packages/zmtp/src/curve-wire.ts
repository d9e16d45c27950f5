/**
 * CurveZMQ wire constants (command sizes, nonce prefixes, box flags) and the
 * small helpers both CURVE sides use to build and check commands. The
 * protocol and libzmq's wire choices are described in `curve-mechanism.ts`.
 */
import { decodeCommand, errorCommandReason } from './command.js';
import { boxBeforeNm, type CurveSecret, importCurveSecret } from './curve-box.js';
import { type CurveKey, curveKeyBytes } from './curve-keys.js';
import { ZmtpError } from './errors.js';

/** ZMTP frame flags (MORE, COMMAND) as `WireFrame.flags` carries them. */
export const FLAG_MORE = 1;
/** See {@link FLAG_MORE}. */
export const FLAG_COMMAND = 4;
/**
 * Inside the box the flags byte is libzmq's own message flags, not the ZMTP
 * frame flags: MORE is bit 0 (RFC 26), COMMAND is bit 1 (libzmq's
 * `msg_t::command`, used for PING/PONG/SUBSCRIBE/CANCEL). Other bits are
 * ignored, as libzmq does.
 */
export const BOX_MORE = 1;
/** See {@link BOX_MORE}. */
export const BOX_COMMAND = 2;
/** Shared encoder for command names and prefixes. */
export const enc = new TextEncoder();
/** The MESSAGE command's name, length-prefixed as on the wire. */
export const MESSAGE_NAME = enc.encode('\x07MESSAGE');
/** Name (8) + short nonce (8) + MAC (16) + flags (1). */
export const MESSAGE_MIN = 33;
/** Exact size of a HELLO command. */
export const HELLO_SIZE = 200;
/** Exact size of a WELCOME command. */
export const WELCOME_SIZE = 168;
/** Smallest INITIATE command (no metadata). */
export const INITIATE_MIN = 257;
/** Smallest READY command (no metadata). */
export const READY_MIN = 30;

function prefix(text: string): Uint8Array {
  return enc.encode(text);
}

/** Nonce prefixes (RFC 26), one per box kind; each fills the nonce's first 8 or 16 bytes. */
export const P_HELLO = prefix('CurveZMQHELLO---');
export const P_WELCOME = prefix('WELCOME-');
export const P_INITIATE = prefix('CurveZMQINITIATE');
export const P_READY = prefix('CurveZMQREADY---');
export const P_MESSAGE_C = prefix('CurveZMQMESSAGEC');
export const P_MESSAGE_S = prefix('CurveZMQMESSAGES');
export const P_VOUCH = prefix('VOUCH---');
export const P_COOKIE = prefix('COOKIE--');

/** A 24-byte nonce: `pre` then as much of `rest` as fits. */
export function nonce(pre: Uint8Array, rest: Uint8Array): Uint8Array {
  const n = new Uint8Array(24);
  n.set(pre);
  n.set(rest.subarray(0, 24 - pre.length), pre.length);
  return n;
}

/** Constant-time byte comparison (keys, cookie and vouch contents). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A key as lowercase hex, for set membership. */
export function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/** A `HANDSHAKE` error (a box does not open, a bad key). */
export function handshake(message: string): ZmtpError {
  return new ZmtpError('HANDSHAKE', message);
}

/** A `PROTOCOL` error (malformed or out-of-order command). */
export function protocol(message: string): ZmtpError {
  return new ZmtpError('PROTOCOL', message);
}

/** The precomputed box key for `secretKey`/`publicKey`; `HANDSHAKE` for a degenerate key. */
export function beforeNm(secretKey: CurveSecret, publicKey: Uint8Array, what: string): Uint8Array {
  const key = boxBeforeNm(secretKey, publicKey);
  if (key === undefined) throw handshake(`CURVE: degenerate ${what} key`);
  return key;
}

/** The name of the command in `body`. */
export function commandName(body: Uint8Array): string {
  return decodeCommand(body).name;
}

/** The `PEER_ERROR` for the peer's ERROR command `body`, with its reason. */
export function peerError(body: Uint8Array): ZmtpError {
  const reason = errorCommandReason(decodeCommand(body).data);
  return new ZmtpError('PEER_ERROR', `CURVE: peer refused the handshake: ${reason}`);
}

/**
 * A side's long-term key pair, checked: both keys well-formed (32 bytes or
 * 40 Z85 characters) and `publicKey` belonging to `secretKey`, else
 * `RangeError` naming `who` (`curveClient`, `curveServer`).
 */
export function importLongTermKeys(
  publicKey: CurveKey,
  secretKey: CurveKey,
  who: string,
): CurveSecret {
  const publicBytes = curveKeyBytes(publicKey, 'publicKey');
  const secret = importCurveSecret(curveKeyBytes(secretKey, 'secretKey'));
  if (!equalBytes(secret.publicKey, publicBytes)) {
    throw new RangeError(`${who}: publicKey does not belong to secretKey`);
  }
  return secret;
}
