/**
 * The thin layer over audited primitives that CURVE needs: NaCl `crypto_box`
 * split into its precomputation (X25519 + HSalsa20, once per key pair) and
 * XSalsa20-Poly1305 with the precomputed key (once per command or frame).
 *
 * X25519 is Node's own (OpenSSL, native); HSalsa20 and XSalsa20-Poly1305 are
 * @noble/ciphers (audited, pure JS). No primitive is implemented here.
 * bench/curve-bench.ts measured the choice (see the README).
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomFillSync } from 'node:crypto';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';

// Fixed DER prefixes that wrap a raw 32-byte X25519 key (RFC 8410).
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
// "expand 32-byte k", the Salsa20 constant HSalsa20 starts from.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const ZERO16 = new Uint32Array(4);

/** Bytes from the system CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

function privateKeyObject(secretKey: Uint8Array) {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, secretKey]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** X25519 public key of a 32-byte secret key. */
export function curvePublicKeyOf(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_X25519.length));
}

/**
 * `crypto_box_beforenm`: the key both sides of a box share. Returns undefined
 * when the peer's key is degenerate (a low-order point: the X25519 result is
 * all zero), which NaCl also refuses.
 */
export function boxBeforeNm(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  let shared: Uint8Array;
  try {
    shared = diffieHellman({
      privateKey: privateKeyObject(secretKey),
      publicKey: createPublicKey({
        key: Buffer.concat([SPKI_X25519, publicKey]),
        format: 'der',
        type: 'spki',
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
 * Seals `plaintext` (`crypto_box_easy_afternm` / `crypto_secretbox_easy`):
 * returns MAC (16) + ciphertext.
 */
export function boxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce).encrypt(plaintext);
}

/**
 * Seals in place for a frame: `buffer` is `header (16 bytes) | plaintext
 * placeholder (16 bytes) | plaintext`; afterwards `buffer[16..]` is MAC +
 * ciphertext and `buffer[0..16]` is zeroed, ready for the caller's header.
 * Saves one copy of the payload over {@link boxSeal}.
 */
export function boxSealInto(key: Uint8Array, nonce: Uint8Array, buffer: Uint8Array): void {
  // noble writes the plaintext at output[32..] before encrypting it there; the
  // plaintext already sits there, so the copy is a no-op over the same bytes.
  xsalsa20poly1305(key, nonce).encrypt(buffer.subarray(32), buffer);
}

/** Opens a MAC + ciphertext box; undefined when it does not authenticate. */
export function boxOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  box: Uint8Array,
): Uint8Array | undefined {
  if (box.length < 16) return undefined;
  try {
    return xsalsa20poly1305(key, nonce).decrypt(box);
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
