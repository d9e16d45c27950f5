/** Endpoint strings: `tcp://host:port` (host `*` = all interfaces) and `ipc:///path`. */
import { ZmtpError } from './errors.js';

/** A parsed endpoint. */
export type Endpoint =
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number }
  | { readonly transport: 'ipc'; readonly path: string };

/**
 * Parses an endpoint; throws `ZmtpError('INVALID_ENDPOINT')` at once on bad
 * syntax or a port out of range. Port 0 and `*` (bind only) pick a free port.
 */
export function parseEndpoint(endpoint: string, forBind = false): Endpoint {
  if (typeof endpoint !== 'string')
    throw new ZmtpError('INVALID_ENDPOINT', 'endpoint must be a string');
  if (endpoint.startsWith('ipc://')) {
    const path = endpoint.slice(6);
    if (path.length === 0 || path.includes('\0'))
      throw new ZmtpError('INVALID_ENDPOINT', `bad ipc endpoint ${endpoint}`);
    return { transport: 'ipc', path };
  }
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\*|\d{1,5})$/.exec(endpoint);
  if (m === null)
    throw new ZmtpError(
      'INVALID_ENDPOINT',
      `bad endpoint ${JSON.stringify(endpoint)} (want tcp://host:port or ipc:///path)`,
    );
  let host = m[1]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host === '*') {
    if (!forBind)
      throw new ZmtpError('INVALID_ENDPOINT', `cannot connect to wildcard host in ${endpoint}`);
    host = '0.0.0.0';
  }
  const port = m[2] === '*' ? 0 : Number(m[2]);
  if (port > 65535 || (!forBind && port === 0))
    throw new ZmtpError('INVALID_ENDPOINT', `port out of range in ${endpoint}`);
  return { transport: 'tcp', host, port };
}

/** Formats an endpoint back to its string form. */
export function formatEndpoint(e: Endpoint): string {
  if (e.transport === 'ipc') return `ipc://${e.path}`;
  return `tcp://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}
