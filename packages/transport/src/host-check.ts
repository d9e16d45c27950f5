/**
 * The one-time host-name check of client endpoints, shared by both engines:
 * a name that does not resolve would otherwise be retried forever in
 * silence (libzmq), or as quiet reconnects (zmtp).
 */

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TransportError } from './errors.js';

/**
 * Looks up the host of a `tcp://name:port` endpoint once; calls `onFailure`
 * with an `UNREACHABLE` error naming the host when it does not resolve.
 * Does nothing for IP literals, `*` and non-tcp endpoints.
 */
export function checkHostResolves(
  endpoint: string,
  onFailure: (error: TransportError) => void,
): void {
  const host = tcpHostName(endpoint);
  if (host === undefined) return;
  lookup(host).then(
    () => {},
    (cause: unknown) => {
      const code = (cause as { code?: string }).code ?? 'lookup failed';
      onFailure(
        new TransportError('UNREACHABLE', `host ${host} does not resolve (${code})`, { cause }),
      );
    },
  );
}

/** The host of a `tcp://host:port` endpoint when it is a name (not an IP literal, not `*`). */
export function tcpHostName(endpoint: string): string | undefined {
  if (!endpoint.startsWith('tcp://')) return undefined;
  const rest = endpoint.slice('tcp://'.length);
  const colon = rest.lastIndexOf(':');
  let host = colon >= 0 ? rest.slice(0, colon) : rest;
  // `tcp://source;host:port` connects from a source address.
  const semi = host.lastIndexOf(';');
  if (semi >= 0) host = host.slice(semi + 1);
  if (host === '' || host === '*' || host.startsWith('[') || isIP(host) !== 0) return undefined;
  return host;
}
