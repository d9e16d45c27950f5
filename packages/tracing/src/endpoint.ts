import type { Attributes } from '@opentelemetry/api';
import { TracingAttribute } from './semantic-conventions.js';

const cache = new Map<string, Attributes>();
/** Endpoints are few per process; the bound only guards against a caller inventing endless names. */
const MAX_CACHED = 256;

/**
 * The `server.address`, `server.port`, `network.transport` (and, for IP
 * literals, `network.type`) attributes of an xSMB endpoint:
 *
 * - `tcp://10.0.0.7:5555` → `10.0.0.7`, `5555`, `tcp`, `ipv4`
 * - `tcp://[::1]:5555` → `::1`, `5555`, `tcp`, `ipv6`
 * - `tcp://svc.internal:5555` → `svc.internal`, `5555`, `tcp`
 * - `ipc:///run/a.sock` → `/run/a.sock`, `unix`
 * - `inproc://name` → `name`, `inproc`; `memory://name` → `name`, `memory`
 *
 * Results are cached (the object is shared: do not mutate it).
 */
export function endpointAttributes(endpoint: string): Attributes {
  let attributes = cache.get(endpoint);
  if (!attributes) {
    attributes = parse(endpoint);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(endpoint, attributes);
  }
  return attributes;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function parse(endpoint: string): Attributes {
  const sep = endpoint.indexOf('://');
  if (sep < 0) return { [TracingAttribute.SERVER_ADDRESS]: endpoint };
  const scheme = endpoint.slice(0, sep).toLowerCase();
  const rest = endpoint.slice(sep + 3);
  if (scheme === 'tcp') {
    let host = rest;
    let port: number | undefined;
    const colon = rest.lastIndexOf(':');
    if (colon > 0 && colon > rest.lastIndexOf(']')) {
      host = rest.slice(0, colon);
      const n = Number(rest.slice(colon + 1));
      if (Number.isInteger(n) && n >= 0 && n <= 65_535) port = n;
    }
    // A ZeroMQ endpoint may name a source interface: `tcp://eth0;10.0.0.7:5555`.
    const semi = host.lastIndexOf(';');
    if (semi >= 0) host = host.slice(semi + 1);
    let type: string | undefined;
    if (host.startsWith('[') && host.endsWith(']')) {
      host = host.slice(1, -1);
      type = 'ipv6';
    } else if (IPV4.test(host)) type = 'ipv4';
    const attributes: Attributes = {
      [TracingAttribute.SERVER_ADDRESS]: host,
      [TracingAttribute.NETWORK_TRANSPORT]: 'tcp',
    };
    if (port !== undefined) attributes[TracingAttribute.SERVER_PORT] = port;
    if (type !== undefined) attributes[TracingAttribute.NETWORK_TYPE] = type;
    return attributes;
  }
  return {
    [TracingAttribute.SERVER_ADDRESS]: rest,
    [TracingAttribute.NETWORK_TRANSPORT]: scheme === 'ipc' ? 'unix' : scheme,
  };
}
