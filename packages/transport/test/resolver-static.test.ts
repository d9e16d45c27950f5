import { within } from '@xsmb/vitest-config/test-helpers';
import { describe, expect, it } from 'vitest';
import { parseTarget, type ResolverUpdate, StaticResolver, TransportError } from '../src/index.js';

describe('parseTarget', () => {
  it('dns: with and without a DNS server, IPv6 literals', () => {
    expect(parseTarget('dns:///orders.internal:7000')).toEqual({
      scheme: 'dns',
      host: 'orders.internal',
      port: 7000,
    });
    expect(parseTarget('dns://10.0.0.2:53/orders.internal:7000')).toEqual({
      scheme: 'dns',
      server: '10.0.0.2:53',
      host: 'orders.internal',
      port: 7000,
    });
    expect(parseTarget('dns:orders.internal:7000')).toEqual({
      scheme: 'dns',
      host: 'orders.internal',
      port: 7000,
    });
    expect(parseTarget('dns:///[fd00::1]:7000')).toEqual({
      scheme: 'dns',
      host: 'fd00::1',
      port: 7000,
    });
  });

  it('dns+srv: and plain endpoints', () => {
    expect(parseTarget('dns+srv:///_orders._tcp.internal')).toEqual({
      scheme: 'dns+srv',
      name: '_orders._tcp.internal',
    });
    expect(parseTarget('dns+srv://127.0.0.1:5353/_orders._tcp.internal')).toEqual({
      scheme: 'dns+srv',
      server: '127.0.0.1:5353',
      name: '_orders._tcp.internal',
    });
    expect(parseTarget('tcp://10.0.0.7:7000')).toEqual({
      scheme: 'static',
      endpoints: ['tcp://10.0.0.7:7000'],
    });
    expect(parseTarget('ipc:///tmp/x.sock').scheme).toBe('static');
  });

  it.each([
    ['dns:///orders.internal', /expected host:port/],
    ['dns:///orders.internal:0', /port 0 outside 1-65535/],
    ['dns:///orders.internal:70000', /outside 1-65535/],
    ['dns+srv:///orders.internal', /expected _service._tcp.domain/],
    ['dns://10.0.0.2', /missing "\/"/],
    ['http://orders', /unknown scheme "http"/],
    ['orders.internal:7000', /unknown scheme "orders.internal"/],
  ])('refuses %s', (target, message) => {
    let error: unknown;
    try {
      parseTarget(target);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('INVALID_ENDPOINT');
    expect((error as Error).message).toMatch(message);
  });
});

describe('StaticResolver', () => {
  it('reports the current set at once and each change, sorted and deduplicated', async () => {
    const r = new StaticResolver(['tcp://10.0.0.2:1', 'tcp://10.0.0.1:1']);
    const seen: string[][] = [];
    const off = r.subscribe((u) => seen.push(u.endpoints.map((e) => e.endpoint)));
    r.update(['tcp://10.0.0.1:1', 'tcp://10.0.0.2:1']); // same set: no update
    r.update([
      'tcp://10.0.0.3:1',
      'tcp://10.0.0.3:1',
      { endpoint: 'tcp://10.0.0.4:1', weight: 5, priority: 1 },
    ]);
    off();
    r.update(['tcp://10.0.0.9:1']);
    expect(seen).toEqual([
      ['tcp://10.0.0.1:1', 'tcp://10.0.0.2:1'],
      ['tcp://10.0.0.3:1', 'tcp://10.0.0.4:1'],
    ]);
    expect((await r.resolveNow()).endpoints).toEqual([
      { endpoint: 'tcp://10.0.0.9:1', weight: 1, priority: 0 },
    ]);
    r.close();
  });

  it('an iterator gets the newest set, not a backlog, and ends at close', async () => {
    const r = new StaticResolver(['tcp://10.0.0.1:1']);
    const it = r[Symbol.asyncIterator]();
    const first = await it.next();
    expect((first.value as ResolverUpdate).endpoints.map((e) => e.endpoint)).toEqual([
      'tcp://10.0.0.1:1',
    ]);
    r.update(['tcp://10.0.0.2:1']);
    r.update(['tcp://10.0.0.3:1']);
    const newest = await it.next();
    expect((newest.value as ResolverUpdate).endpoints.map((e) => e.endpoint)).toEqual([
      'tcp://10.0.0.3:1',
    ]);
    const pending = it.next();
    r.close();
    expect((await within(pending, 5_000, 'the iterator to end')).done).toBe(true);
  });

  it('a throwing listener does not break the resolver', () => {
    const r = new StaticResolver([]);
    r.subscribe(() => {
      throw new Error('listener bug');
    });
    const seen: number[] = [];
    r.subscribe((u) => seen.push(u.endpoints.length));
    r.update(['tcp://10.0.0.1:1']);
    expect(seen).toEqual([0, 1]);
    r.close();
  });
});
