/**
 * The CURVE role of one socket as zeromq.js constructor options: a server
 * (with its registration at the shared ZAP handler) or a client. Every
 * socket type uses these, so validation, error messages and the fail-closed
 * setup are the same on ROUTER, XPUB and XSUB.
 */

import { type ClientCurveOptions, checkCurveKey, type ServerCurveOptions } from './curve.js';
import { ZapAuthenticator, type ZapRegistration } from './zap-authenticator.js';

/** zeromq.js options of a CURVE server socket; empty without CURVE. */
export interface CurveServerSocketOptions {
  curveServer?: boolean;
  curveSecretKey?: string;
  zapDomain?: string;
  zapEnforceDomain?: boolean;
}

/** zeromq.js options of a CURVE client socket; empty without CURVE. */
export interface CurveClientSocketOptions {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

/** A CURVE server socket's setup: its options and its ZAP domain. */
export interface CurveServer {
  /** Spread into the socket's constructor options. */
  readonly socketOptions: CurveServerSocketOptions;
  /** The ZAP registration; release it when the socket closes (or fails to open). */
  readonly zap: ZapRegistration | undefined;
  /** Whether an allow-list was given (only then may it be replaced). */
  readonly hasAllowList: boolean;
}

/**
 * The allow-list of a CURVE server socket, whatever enforces it (libzmq's
 * ZAP handler or the zmtp engine's handshake).
 */
export interface AllowList {
  /** Whether an allow-list was given (only then may it be replaced). */
  readonly hasAllowList: boolean;
  /** Clients refused by the allow-list so far. */
  denied(): number;
  /** Replaces the allow-list for handshakes from now on. */
  setAllowedKeys(keys: readonly string[]): void;
}

/** The {@link AllowList} of a libzmq CURVE server (its ZAP registration). */
export function zapAllowList(server: CurveServer): AllowList {
  const zap = server.zap;
  return {
    hasAllowList: zap !== undefined && server.hasAllowList,
    denied: () => zap?.stats().denied ?? 0,
    setAllowedKeys: (keys) => zap?.setAllowedKeys(keys),
  };
}

/**
 * `setAllowedClientKeys` of a server or publisher: validates `keys` and
 * replaces the list; `TypeError` when the socket was made without one.
 */
export function replaceAllowedKeys(list: AllowList, keys: Iterable<string>, what: string): void {
  if (!list.hasAllowList) throw new TypeError(`this ${what} was created without allowedClientKeys`);
  list.setAllowedKeys(checkAllowedKeys(CLIENT_KEY_NAMES.allowed, keys));
}

/** Validates an allow-list of Z85 client keys; `name` labels errors (`name[i]`). */
export function checkAllowedKeys(name: string, keys: Iterable<string>): string[] {
  return [...keys].map((k, i) => checkCurveKey(`${name}[${i}]`, k));
}

/** The option names a server's CURVE settings go by, for error messages. */
export interface CurveOptionNames {
  /** Name of the server keys option. */
  readonly curve: string;
  /** Name of the client key allow-list option. */
  readonly allowed: string;
}

/** The option names of servers and publishers (`curve`, `allowedClientKeys`). */
export const CLIENT_KEY_NAMES: CurveOptionNames = { curve: 'curve', allowed: 'allowedClientKeys' };

/** A server's CURVE options once checked (Z85 keys, allow-list if any). */
export interface CheckedServerCurve {
  readonly secretKey: string;
  readonly publicKey: string;
  /** Undefined without an allow-list (every CURVE client is admitted). */
  readonly allowedKeys: string[] | undefined;
}

/**
 * Checks a server's CURVE options the same way for both engines: an
 * allow-list needs `curve`, keys must be valid Z85. Undefined without
 * `curve`; `TypeError` otherwise, with `names` (the caller's option names,
 * default {@link CLIENT_KEY_NAMES}) in the message.
 */
export function checkServerCurve(
  curve: ServerCurveOptions | undefined,
  allowedKeys: Iterable<string> | undefined,
  names: CurveOptionNames = CLIENT_KEY_NAMES,
): CheckedServerCurve | undefined {
  if (allowedKeys !== undefined && curve === undefined) {
    throw new TypeError(`${names.allowed} needs ${names.curve} (the keys are CURVE client keys)`);
  }
  if (curve === undefined) return undefined;
  return {
    secretKey: checkCurveKey(`${names.curve}.secretKey`, curve.secretKey),
    publicKey: checkCurveKey(`${names.curve}.publicKey`, curve.publicKey),
    allowedKeys:
      allowedKeys === undefined ? undefined : checkAllowedKeys(names.allowed, allowedKeys),
  };
}

/**
 * Validates the keys and registers a ZAP domain for a CURVE server socket,
 * with the allow-list or (without one) admitting every CURVE client. The
 * socket gets ZMQ_ZAP_DOMAIN + ZMQ_ZAP_ENFORCE_DOMAIN, so it refuses
 * everyone when the handler is gone (fail closed). Throws `TypeError` for
 * malformed keys or an allow-list without `curve`; nothing is registered then.
 * `names` are the option names used in error messages (default
 * {@link CLIENT_KEY_NAMES}).
 */
export function setUpCurveServer(
  curve: ServerCurveOptions | undefined,
  allowedKeys: Iterable<string> | undefined,
  names: CurveOptionNames = CLIENT_KEY_NAMES,
): CurveServer {
  const checked = checkServerCurve(curve, allowedKeys, names);
  if (checked === undefined) return { socketOptions: {}, zap: undefined, hasAllowList: false };
  const keys = checked.allowedKeys;
  // Every CURVE server registers a ZAP domain, with or without an allow-list:
  // the shared handler then answers for all of them (see zap-authenticator.ts).
  const zap = ZapAuthenticator.for().register(keys);
  return {
    socketOptions: {
      curveServer: true,
      curveSecretKey: checked.secretKey,
      zapDomain: zap.domain,
      zapEnforceDomain: true,
    },
    zap,
    hasAllowList: keys !== undefined,
  };
}

/**
 * Constructs a CURVE server's socket with `open`, which gets the CURVE
 * socket options to spread in; if it throws, the ZAP registration is
 * released, else its domain would stay registered for a socket that never was.
 */
export function openCurveServerSocket<S>(
  server: CurveServer,
  open: (curveOptions: CurveServerSocketOptions) => S,
): S {
  try {
    return open(server.socketOptions);
  } catch (error) {
    server.zap?.release();
    throw error;
  }
}

/** Validates a client's keys into socket options; `name` labels errors. */
export function curveClientSocketOptions(
  name: string,
  curve: ClientCurveOptions | undefined,
): CurveClientSocketOptions {
  if (curve === undefined) return {};
  return {
    curveServerKey: checkCurveKey(`${name}.serverPublicKey`, curve.serverPublicKey),
    curvePublicKey: checkCurveKey(`${name}.publicKey`, curve.publicKey),
    curveSecretKey: checkCurveKey(`${name}.secretKey`, curve.secretKey),
  };
}
