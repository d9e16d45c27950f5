/**
 * Target strings, in the form gRPC uses for name resolution:
 * `dns:[//dns-server]/host:port`, `dns+srv:[//dns-server]/_service._tcp.name`,
 * or a plain transport endpoint (`tcp://`, `ipc://`, `inproc://`).
 */

import { isIP } from 'node:net';
import { TransportError } from './errors.js';

/** What {@link parseTarget} understood. */
export type Target =
  | {
      /** A transport endpoint used as it is. */
      readonly scheme: 'static';
      readonly endpoints: readonly string[];
    }
  | {
      /** A/AAAA records of `host`, each address with `port`. */
      readonly scheme: 'dns';
      /** The DNS server from the target's authority (`host:port`), if one was given. */
      readonly server?: string;
      readonly host: string;
      readonly port: number;
    }
  | {
      /** SRV records of `name` (`_service._proto.domain`): their targets, ports and weights. */
      readonly scheme: 'dns+srv';
      readonly server?: string;
      readonly name: string;
    };

function invalid(target: string, why: string): TransportError {
  return new TransportError('INVALID_ENDPOINT', `invalid target ${JSON.stringify(target)}: ${why}`);
}

/** Splits `//authority/path` (or `/path`) after a scheme. */
function authorityAndPath(target: string, rest: string): { server?: string; path: string } {
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (slash < 0) throw invalid(target, 'missing "/" after the DNS server');
    const server = rest.slice(2, slash);
    return server === ''
      ? { path: rest.slice(slash + 1) }
      : { server, path: rest.slice(slash + 1) };
  }
  if (rest.startsWith('/')) return { path: rest.slice(1) };
  return { path: rest };
}

/**
 * Parses a target. Throws `TransportError` `INVALID_ENDPOINT` naming the
 * problem (unknown scheme, missing or bad port, empty name).
 *
 * - `dns:///orders.internal:7000`, `dns://10.0.0.2:53/orders.internal:7000`
 * - `dns+srv:///_orders._tcp.internal`
 * - `tcp://10.0.0.7:7000` (and `ipc://`, `inproc://`): that endpoint
 */
export function parseTarget(target: string): Target {
  if (/^(tcp|ipc|inproc):\/\//.test(target)) return { scheme: 'static', endpoints: [target] };
  const colon = target.indexOf(':');
  const scheme = colon > 0 ? target.slice(0, colon) : '';
  const rest = target.slice(colon + 1);
  if (scheme === 'dns') {
    const { server, path } = authorityAndPath(target, rest);
    const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(path);
    if (m === null) throw invalid(target, 'expected host:port');
    const port = Number(m[2]);
    if (!(port > 0 && port <= 65535)) throw invalid(target, `port ${m[2]} outside 1-65535`);
    const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
    return server === undefined ? { scheme, host, port } : { scheme, server, host, port };
  }
  if (scheme === 'dns+srv') {
    const { server, path } = authorityAndPath(target, rest);
    if (!/^_[^.\s]+\._(tcp|udp)\.[^\s:/]+$/.test(path)) {
      throw invalid(target, 'expected _service._tcp.domain');
    }
    return server === undefined ? { scheme, name: path } : { scheme, server, name: path };
  }
  throw invalid(
    target,
    `unknown scheme ${JSON.stringify(scheme)} (dns, dns+srv, tcp, ipc, inproc)`,
  );
}

/** `tcp://address:port`, with IPv6 addresses in brackets. */
export function tcpEndpoint(address: string, port: number): string {
  return isIP(address) === 6 ? `tcp://[${address}]:${port}` : `tcp://${address}:${port}`;
}
