import { waitFor } from '@xsmb/vitest-config/test-helpers';
import { describe, expect, it } from 'vitest';
import {
  type DiscoveryEvent,
  DnsResolver,
  type EndpointChange,
  EndpointsResolver,
  StaticResolver,
} from '../src/index.js';

function collect() {
  const changes: EndpointChange[] = [];
  const events: DiscoveryEvent[] = [];
  return {
    changes,
    events,
    sink: {
      changed: (c: EndpointChange) => changes.push(c),
      event: (e: DiscoveryEvent) => events.push(e),
    },
  };
}

describe('EndpointsResolver', () => {
  it('plain endpoints need no resolving', () => {
    expect(EndpointsResolver.needed(['tcp://a:1', 'memory://x', 'inproc://y'], undefined)).toBe(
      false,
    );
    expect(EndpointsResolver.needed(['tcp://a:1', 'dns:///b:2'], undefined)).toBe(true);
    expect(EndpointsResolver.needed([], new StaticResolver([]))).toBe(true);
  });

  it('merges plain endpoints with a resolver, telling what joins and leaves', () => {
    const resolver = new StaticResolver(['tcp://10.0.0.2:1']);
    const { changes, events, sink } = collect();
    const r = new EndpointsResolver(['tcp://10.0.0.1:1'], { resolver }, sink);
    expect(r.settled).toBe(true);
    expect(r.endpoints.map((e) => e.endpoint)).toEqual(['tcp://10.0.0.1:1', 'tcp://10.0.0.2:1']);
    expect(changes).toHaveLength(2);

    resolver.update(['tcp://10.0.0.3:1', { endpoint: 'tcp://10.0.0.1:1', weight: 5, priority: 0 }]);
    expect(changes.at(-1)).toEqual({
      added: [{ endpoint: 'tcp://10.0.0.3:1', weight: 1, priority: 0 }],
      removed: ['tcp://10.0.0.2:1'],
      // The first source of an endpoint wins: the plain one, weight 1.
      endpoints: [
        { endpoint: 'tcp://10.0.0.1:1', weight: 1, priority: 0 },
        { endpoint: 'tcp://10.0.0.3:1', weight: 1, priority: 0 },
      ],
    });
    expect(events.slice(-2)).toEqual([
      { type: 'added', endpoint: 'tcp://10.0.0.3:1', weight: 1, priority: 0 },
      { type: 'removed', endpoint: 'tcp://10.0.0.2:1' },
    ]);
    r.close();
    resolver.update([]);
    expect(changes).toHaveLength(3);
    expect(r.problem()).toBe('resolver: 2 endpoints');
  });
});

describe('DnsResolver without DNS servers', () => {
  it('uses the system resolver (dns.lookup, /etc/hosts): dns:///localhost:port', async () => {
    const r = new DnsResolver('dns:///localhost:7000', { family: 4 });
    try {
      const u = await r.resolveNow();
      expect(u.error).toBeUndefined();
      expect(u.endpoints.map((e) => e.endpoint)).toContain('tcp://127.0.0.1:7000');
    } finally {
      r.close();
    }
  });

  it('a name the system cannot resolve is an UNREACHABLE error', async () => {
    const r = new DnsResolver('dns:///no-such-host.invalid:7000');
    try {
      await waitFor(() => r.current() !== undefined, 'the first lookup');
      expect(r.current()?.error?.message).toMatch(/no-such-host\.invalid does not resolve/);
      expect(r.current()?.error).toMatchObject({ code: 'UNREACHABLE' });
    } finally {
      r.close();
    }
  });
});
