/**
 * CURVE key material: key pairs, option shapes and validation.
 */

import { z85Decode } from '@xsmb/zmtp';
import { curveKeyPair } from 'zeromq';

/** A CURVE key pair as Z85 strings (40 characters each). */
export interface CurveKeyPair {
  /** The public key; give it to peers. */
  readonly publicKey: string;
  /** The secret key; keep it private. */
  readonly secretKey: string;
}

/** CURVE settings of a server (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY). */
export interface ServerCurveOptions {
  /** The server's public key (Z85). Clients need it; checked against the secret key's format. */
  readonly publicKey: string;
  /** The server's secret key (Z85), ZMQ_CURVE_SECRETKEY. */
  readonly secretKey: string;
}

/** CURVE settings of a client (ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY). */
export interface ClientCurveOptions {
  /** The server's public key (Z85), ZMQ_CURVE_SERVERKEY. */
  readonly serverPublicKey: string;
  /** This client's public key (Z85), ZMQ_CURVE_PUBLICKEY; what allow-lists contain. */
  readonly publicKey: string;
  /** This client's secret key (Z85), ZMQ_CURVE_SECRETKEY. */
  readonly secretKey: string;
}

/** Generates a fresh CURVE key pair (libzmq's `zmq_curve_keypair`), as Z85 strings. */
export function generateKeyPair(): CurveKeyPair {
  const { publicKey, secretKey } = curveKeyPair();
  return { publicKey, secretKey };
}

/**
 * Throws `TypeError` unless `key` is a 40-character Z85 string (32 bytes).
 * Returns the key unchanged so it can be used inline.
 */
export function checkCurveKey(name: string, key: unknown): string {
  if (typeof key !== 'string' || key.length !== 40) {
    throw new TypeError(`${name} must be a 40-character Z85 CURVE key`);
  }
  try {
    z85Decode(key);
  } catch (cause) {
    throw new TypeError(`${name} is not valid Z85`, { cause });
  }
  return key;
}
