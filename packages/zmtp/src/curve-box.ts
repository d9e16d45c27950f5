/**
 * The thin layer over audited primitives that CURVE needs: NaCl `crypto_box`
 * split into its precomputation (X25519 + HSalsa20, once per key pair) and
 * XSalsa20-Poly1305 with the precomputed key (once per command or frame).
 *
 * X25519 is Node's own (OpenSSL, native); XSalsa20-Poly1305 is libsodium
 * compiled to WebAssembly (libsodium-wrappers); HSalsa20, once per key
 * agreement, is @noble/ciphers (libsodium-wrappers' default build lacks it).
 * No primitive is implemented here. bench/curve-bench.ts measured the choice
 * (see the README): Node's X25519 is the fastest key agreement, the WASM
 * cipher 2-4× faster per frame than pure JS, and nothing here is a native
 * addon.
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import { hsalsa } from '@noble/ciphers/salsa.js';
import sodium from 'libsodium-wrappers';

// The WASM module instantiates asynchronously; the sessions' API is synchronous.
await sodium.ready;

// Fixed DER prefixes that wrap a raw 32-byte X25519 key (RFC 8410).
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
// "expand 32-byte k", the Salsa20 constant HSalsa20 starts from.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const ZERO16 = new Uint32Array(4);

/** Bytes from the system CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

/**
 * A secret key ready for X25519: the raw bytes, its public key and Node's
 * KeyObject. Importing a raw X25519 secret costs ~10× a key agreement in
 * OpenSSL 3, so long-term keys are imported once per factory and short-term
 * keys are generated as KeyObjects directly.
 */
export interface CurveSecret {
  /** The 32-byte secret key. */
  readonly raw: Uint8Array;
  /** Its 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** Node's handle of the secret key. */
  readonly key: KeyObject;
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function fromB64url(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

function fromKeyObject(key: KeyObject): CurveSecret {
  const jwk = key.export({ format: 'jwk' });
  return { raw: fromB64url(jwk.d), publicKey: fromB64url(jwk.x), key };
}

/** Imports a raw 32-byte secret key (slow: do it once per long-term key). */
export function importCurveSecret(raw: Uint8Array): CurveSecret {
  return fromKeyObject(
    createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' }),
  );
}

/** A fresh X25519 key pair from the system CSPRNG (OpenSSL). */
export function generateCurveSecret(): CurveSecret {
  return fromKeyObject(generateKeyPairSync('x25519').privateKey);
}

/** X25519 public key of a 32-byte secret key. */
export function curvePublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return importCurveSecret(secretKey).publicKey;
}

/**
 * `crypto_box_beforenm`: the key both sides of a box share. Returns undefined
 * when the peer's key is degenerate (a low-order point: the X25519 result is
 * all zero), which NaCl also refuses.
 */
export function boxBeforeNm(secret: CurveSecret, publicKey: Uint8Array): Uint8Array | undefined {
  let shared: Uint8Array;
  try {
    shared = diffieHellman({
      privateKey: secret.key,
      publicKey: createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) },
        format: 'jwk',
      }),
    });
  } catch {
    return undefined;
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) return undefined;
  const k = new Uint32Array(8);
  for (let i = 0; i < 8; i++) k[i] = readLe32(shared, i * 4);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, k, ZERO16, out);
  const key = new Uint8Array(32);
  for (let i = 0; i < 8; i++) writeLe32(key, i * 4, out[i]!);
  return key;
}

/**
 * Seals `plaintext` with a precomputed box key or a secretbox key (the same
 * XSalsa20-Poly1305 construction: `crypto_box_easy_afternm` is
 * `crypto_secretbox_easy`): returns MAC (16) + ciphertext.
 */
export function boxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return sodium.crypto_secretbox_easy(plaintext, nonce, key);
}

/** Opens a MAC + ciphertext box; undefined when it does not authenticate. */
export function boxOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  box: Uint8Array,
): Uint8Array | undefined {
  if (box.length < 16) return undefined;
  try {
    return sodium.crypto_secretbox_open_easy(box, nonce, key);
  } catch {
    return undefined;
  }
}

function readLe32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function writeLe32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}
