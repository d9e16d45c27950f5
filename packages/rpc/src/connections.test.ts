import type { ClientTransport } from '@xsmb/transport';
import { describe, expect, it } from 'vitest';
import { type Connection, ConnectionSet, type LoadBalancing } from './connections.js';

/** A transport that is connected from the start and never goes. */
function upTransport(): ClientTransport {
  return {
    connected: true,
    on: () => () => {},
    close: () => Promise.resolve(),
  } as unknown as ClientTransport;
}

function set(names: string[], loadBalancing: LoadBalancing = 'round-robin') {
  let lost = 0;
  const conns = new ConnectionSet(
    names,
    upTransport,
    { loadBalancing, connectTimeoutMs: 60_000 },
    { changed: () => {}, fail: () => {}, opened: () => {}, lost: () => lost++ },
  );
  return { conns, lost: () => lost };
}

/** How many of `picks` calls each endpoint gets. */
function shares(conns: ConnectionSet<{ done: boolean }>, picks: number): Record<string, number> {
  const count: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const c = conns.pick() as Connection;
    count[c.endpoint] = (count[c.endpoint] ?? 0) + 1;
  }
  return count;
}

describe('ConnectionSet round-robin', () => {
  it('takes every usable endpoint in turn', () => {
    const { conns } = set(['a', 'b', 'c', 'd']);
    expect(Array.from({ length: 8 }, () => conns.pick()?.endpoint).join('')).toBe('abcdabcd');
  });

  it('shares evenly when some endpoints are not usable (draining, failing)', () => {
    const { conns } = set(['a', 'b', 'c', 'd', 'e']);
    (conns.all[1] as Connection).draining = true;
    (conns.all[3] as Connection).state = 'failing';
    expect(shares(conns, 300)).toEqual({ a: 100, c: 100, e: 100 });
    expect(Array.from({ length: 6 }, () => conns.pick()?.endpoint).join('')).toBe('aceace');
    // Back: its turn again, still even.
    (conns.all[1] as Connection).draining = false;
    expect(shares(conns, 400)).toEqual({ a: 100, b: 100, c: 100, e: 100 });
  });

  it('an empty set picks nothing, and turns stay even once endpoints join', () => {
    const { conns } = set([]);
    expect(conns.pick()).toBeUndefined();
    conns.update({
      added: ['a', 'b'].map((endpoint) => ({ endpoint, weight: 1, priority: 0 })),
      removed: [],
      endpoints: ['a', 'b'].map((endpoint) => ({ endpoint, weight: 1, priority: 0 })),
    });
    expect(shares(conns, 10)).toEqual({ a: 5, b: 5 });
  });

  it('a GOAWAY (draining) of a connection in the set asks discovery again, once', () => {
    const { conns, lost } = set(['a', 'b']);
    const a = conns.all[0] as Connection;
    a.draining = true;
    a.draining = true;
    expect(lost()).toBe(1);
    expect(conns.pick()?.endpoint).toBe('b');
  });
});
