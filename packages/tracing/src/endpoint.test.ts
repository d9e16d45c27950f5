import { describe, expect, it } from 'vitest';
import { endpointAttributes } from './endpoint.js';
import { metadataGetter, metadataSetter } from './metadata-carrier.js';

describe('endpointAttributes', () => {
  it.each([
    [
      'tcp://10.0.0.7:5555',
      {
        'server.address': '10.0.0.7',
        'server.port': 5555,
        'network.transport': 'tcp',
        'network.type': 'ipv4',
      },
    ],
    [
      'tcp://[::1]:6000',
      {
        'server.address': '::1',
        'server.port': 6000,
        'network.transport': 'tcp',
        'network.type': 'ipv6',
      },
    ],
    [
      'tcp://svc.internal:80',
      { 'server.address': 'svc.internal', 'server.port': 80, 'network.transport': 'tcp' },
    ],
    [
      'tcp://eth0;192.168.1.2:7000',
      {
        'server.address': '192.168.1.2',
        'server.port': 7000,
        'network.transport': 'tcp',
        'network.type': 'ipv4',
      },
    ],
    [
      'tcp://host-without-port',
      { 'server.address': 'host-without-port', 'network.transport': 'tcp' },
    ],
    [
      'ipc:///run/xsmb/a.sock',
      { 'server.address': '/run/xsmb/a.sock', 'network.transport': 'unix' },
    ],
    ['inproc://bus', { 'server.address': 'bus', 'network.transport': 'inproc' }],
    ['memory://m1', { 'server.address': 'm1', 'network.transport': 'memory' }],
    ['weird', { 'server.address': 'weird' }],
  ])('%s', (endpoint, expected) => {
    expect(endpointAttributes(endpoint)).toEqual(expected);
    // Cached: the same object every time.
    expect(endpointAttributes(endpoint)).toBe(endpointAttributes(endpoint));
  });
});

describe('metadata carrier', () => {
  it('writes lower-case keys and reads strings and UTF-8 bytes', () => {
    const carrier: Record<string, string | Uint8Array> = {};
    metadataSetter.set(carrier, 'TraceParent', 'v1');
    expect(carrier).toEqual({ traceparent: 'v1' });
    carrier.baggage = new TextEncoder().encode('k=v');
    expect(metadataGetter.get(carrier, 'baggage')).toBe('k=v');
    expect(metadataGetter.get(carrier, 'TRACEPARENT')).toBe('v1');
    expect(metadataGetter.get(carrier, 'missing')).toBeUndefined();
    expect(metadataGetter.keys(carrier)).toEqual(['traceparent', 'baggage']);
  });
});
