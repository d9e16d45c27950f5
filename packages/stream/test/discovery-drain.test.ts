import { createClient, createServer, defineService } from '@xsmb/rpc';
import { clientCore } from '@xsmb/rpc/kit';
import { createMemoryNetwork, StaticResolver } from '@xsmb/transport';
import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { serverStream } from '../src/index.js';

// A stream on an endpoint that discovery removes finishes there (the
// endpoint drains); new calls go to the endpoints left.

const Svc = defineService('drain.Demo', { feed: serverStream<null, string>() });

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('a stream on an endpoint discovery removes', () => {
  it('finishes whole on the draining endpoint, which closes after it', async () => {
    const net = createMemoryNetwork();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const endpoints: string[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer({ transport: net.server() });
      resources.defer(() => server.close({ graceMs: 0 }));
      const [endpoint] = await server.listen('memory://*');
      const name = endpoint as string;
      server.add(Svc, {
        async *feed() {
          yield `${name} 1`;
          await gate;
          yield `${name} 2`;
        },
      });
      endpoints.push(name);
    }
    const [a, b] = endpoints as [string, string];
    const resolver = new StaticResolver([a]);
    const client = resources.add(
      createClient(Svc, { endpoints: [], resolver, transport: (e) => net.client(e) }),
    );
    const first = client.feed(null)[Symbol.asyncIterator]();
    expect((await first.next()).value).toBe(`${a} 1`);

    resolver.update([b]);
    const states = () =>
      Object.fromEntries(
        clientCore(client)
          .endpoints()
          .map((e) => [e.endpoint, e.state]),
      );
    expect(states()[a]).toBe('draining');
    // A new stream goes to b.
    const second = client.feed(null)[Symbol.asyncIterator]();
    expect((await second.next()).value).toBe(`${b} 1`);

    release();
    expect((await first.next()).value).toBe(`${a} 2`);
    expect((await first.next()).done).toBe(true);
    expect((await second.next()).value).toBe(`${b} 2`);
    expect((await second.next()).done).toBe(true);
    await waitFor(() => !(a in states()), 'the drained connection to close');
    expect(Object.keys(states())).toEqual([b]);
  });
});
