/**
 * CURVE keys: X25519 key pairs and their Z85 text form (RFC 32), the form
 * libzmq and zeromq.js print and accept.
 */
import { curvePublicKeyOf, generateCurveSecret } from './curve-box.js';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85.length; i++) Z85_INDEX[Z85.charCodeAt(i)] = i;

/** A long-term CURVE key pair (32 bytes each). */
export interface CurveKeyPair {
  /** The public key, safe to share. */
  readonly publicKey: Uint8Array;
  /** The secret key; keep it private. */
  readonly secretKey: Uint8Array;
}

/** A key as raw 32 bytes or as its 40-character Z85 text. */
export type CurveKey = Uint8Array | string;

/** Encodes bytes as Z85 (RFC 32); the length must be a multiple of 4. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new RangeError('z85Encode: length must be a multiple of 4');
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    let v = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85[v % 85]!;
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/**
 * Decodes Z85 text (RFC 32). Throws `RangeError` when the length is not a
 * multiple of 5, a character is outside the alphabet or a group overflows 32 bits.
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new RangeError('z85Decode: length must be a multiple of 5');
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = text.charCodeAt(i + j);
      const d = c < 128 ? Z85_INDEX[c]! : -1;
      if (d < 0) throw new RangeError(`z85Decode: bad character at ${i + j}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new RangeError(`z85Decode: group at ${i} overflows`);
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

/** Normalizes a key given as 32 bytes or 40 Z85 characters to a 32-byte copy. */
export function curveKeyBytes(key: CurveKey, what = 'key'): Uint8Array {
  const bytes =
    typeof key === 'string' ? (key.length === 40 ? z85Decode(key) : undefined) : key.slice();
  if (bytes === undefined || bytes.length !== 32) {
    throw new RangeError(`${what} must be 32 bytes or 40 Z85 characters`);
  }
  return bytes;
}

/** Creates a fresh long-term key pair (X25519, from the system's CSPRNG). */
export function curveKeyPair(): CurveKeyPair {
  const { raw, publicKey } = generateCurveSecret();
  return { publicKey, secretKey: raw };
}

/** The public key that belongs to a secret key (as libzmq's `zmq_curve_public`). */
export function curvePublicKey(secretKey: CurveKey): Uint8Array {
  return curvePublicKeyOf(curveKeyBytes(secretKey, 'secretKey'));
}
