/**
 * CURVE for the zmtp engine: the transport's Z85 key options turned into
 * `@xsmb/zmtp` mechanisms. The allow-list is checked in the handshake itself
 * (no ZAP socket), fails closed (a key not on the list, or a list check that
 * throws, is refused with ZeroMQ's ERROR "400"), and can be replaced at run
 * time for new handshakes.
 */

import { curveClient, curveServer, type MechanismFactory, z85Encode } from '@xsmb/zmtp';
import type { ClientCurveOptions, ServerCurveOptions } from './curve.js';
import { checkCurveKey } from './curve.js';
import {
  type AllowList,
  CLIENT_KEY_NAMES,
  type CurveOptionNames,
  checkServerCurve,
} from './curve-socket.js';

/** A CURVE server's mechanism with its mutable allow-list and counter. */
export interface ZmtpCurveServer extends AllowList {
  /** The mechanism to give the socket; undefined without `curve` (NULL). */
  readonly mechanism: MechanismFactory | undefined;
}

/**
 * Validates the keys as the libzmq engine does and builds the server
 * mechanism; `names` label errors with the option names the caller uses
 * (default {@link CLIENT_KEY_NAMES}).
 */
export function zmtpCurveServer(
  curve: ServerCurveOptions | undefined,
  allowedKeys: Iterable<string> | undefined,
  names: CurveOptionNames = CLIENT_KEY_NAMES,
): ZmtpCurveServer {
  const checked = checkServerCurve(curve, allowedKeys, names);
  let denied = 0;
  if (checked === undefined) {
    return {
      mechanism: undefined,
      hasAllowList: false,
      denied: () => denied,
      setAllowedKeys: () => {},
    };
  }
  let allowed: Set<string> | undefined =
    checked.allowedKeys === undefined ? undefined : new Set(checked.allowedKeys);
  const mechanism = curveServer({
    publicKey: checked.publicKey,
    secretKey: checked.secretKey,
    authorize: (clientKey) => {
      if (allowed === undefined) return true;
      const ok = allowed.has(z85Encode(clientKey));
      if (!ok) denied++;
      return ok;
    },
  });
  return {
    mechanism,
    hasAllowList: allowed !== undefined,
    denied: () => denied,
    setAllowedKeys: (keys) => {
      allowed = new Set(keys);
    },
  };
}

/** The client mechanism for `curve` (validated; `name` labels errors), or undefined for NULL. */
export function zmtpCurveClient(
  name: string,
  curve: ClientCurveOptions | undefined,
): MechanismFactory | undefined {
  if (curve === undefined) return undefined;
  return curveClient({
    serverPublicKey: checkCurveKey(`${name}.serverPublicKey`, curve.serverPublicKey),
    publicKey: checkCurveKey(`${name}.publicKey`, curve.publicKey),
    secretKey: checkCurveKey(`${name}.secretKey`, curve.secretKey),
  });
}
