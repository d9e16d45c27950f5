/**
 * ZMTP socket types and which peer types each may talk to (RFC 28/29's
 * compatibility table), checked against the peer's `Socket-Type` property.
 */
import { ZmtpError } from './errors.js';

const latin1 = new TextDecoder('latin1');

/** ZMTP socket types this package speaks. */
export type SocketType = 'DEALER' | 'ROUTER' | 'PUB' | 'SUB' | 'XPUB' | 'XSUB';

/** Peer socket types each type accepts. */
const compatible: Record<SocketType, readonly string[]> = {
  DEALER: ['ROUTER', 'DEALER', 'REP'],
  ROUTER: ['DEALER', 'ROUTER', 'REQ'],
  PUB: ['SUB', 'XSUB'],
  XPUB: ['SUB', 'XSUB'],
  SUB: ['PUB', 'XPUB'],
  XSUB: ['PUB', 'XPUB'],
};

/**
 * Throws `PROTOCOL` unless a `own` socket may talk to the peer whose READY
 * properties (names lower-cased) are `peerProperties`.
 */
export function checkPeerSocketType(
  own: SocketType,
  peerProperties: ReadonlyMap<string, Uint8Array>,
): void {
  const type = peerProperties.get('socket-type');
  const typeName = type === undefined ? '' : latin1.decode(type);
  if (!compatible[own].includes(typeName)) {
    throw new ZmtpError(
      'PROTOCOL',
      `socket type ${own} cannot talk to ${typeName || 'an untyped peer'}`,
    );
  }
}
