/**
 * The zmtp engine behind the same transport interfaces: data both ways in
 * order, against itself and against libzmq (the wire is ZeroMQ either way),
 * and the contract's failure paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport, createServerTransport, TransportError } from '../src/index.js';
import { bindAddress, checkNumbered, numbered, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

type Engine = 'zmtp' | 'libzmq';
const PAIRS: ReadonlyArray<[client: Engine, server: Engine]> = [
  ['zmtp', 'zmtp'],
  ['zmtp', 'libzmq'],
  ['libzmq', 'zmtp'],
];

describe('zmtp engine', () => {
  for (const [clientEngine, serverEngine] of PAIRS) {
    for (const proto of ['tcp', 'ipc'] as const) {
      it(`${clientEngine} client -> ${serverEngine} server over ${proto}: 20,000 messages each way in order`, async () => {
        const N = 20_000;
        const server = resources.add(createServerTransport({ engine: serverEngine }));
        const endpoint = await server.listen(bindAddress(proto));
        const client = resources.add(createClientTransport(endpoint, { engine: clientEngine }));
        await client.ready({ timeoutMs: 10_000 });
        const size = (i: number) => (i % 5_000 === 4_999 ? 40_000 : 8 + (i % 100));
        const serverDone = (async () => {
          let i = 0;
          for await (const { peer, message } of server) {
            const problem = checkNumbered(message, i, size(i));
            if (problem !== '') throw new Error(`server: ${problem}`);
            await server.send(peer, message.slice());
            if (++i === N) return i;
          }
          return i;
        })();
        const clientDone = (async () => {
          let i = 0;
          for await (const message of client) {
            const problem = checkNumbered(message, i, size(i));
            if (problem !== '') throw new Error(`client: ${problem}`);
            if (++i === N) return i;
          }
          return i;
        })();
        for (let i = 0; i < N; i++) await client.send(numbered(i, size(i)));
        expect(await within(serverDone, 50_000, 'server receives all')).toBe(N);
        expect(await within(clientDone, 50_000, 'client receives all echoes')).toBe(N);
        expect(client.stats().drops + server.stats().drops).toBe(0);
        expect(client.stats().bursts).toBeGreaterThan(0);
      });
    }
  }

  it('fails sends to a peer that is unknown or gone with UNREACHABLE, and reports the disconnect', async () => {
    const server = resources.add(createServerTransport({ engine: 'zmtp' }));
    const endpoint = await server.listen('tcp://127.0.0.1:0');
    await expect(server.send('no such peer', new Uint8Array(1))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
    const events: string[] = [];
    server.on('connected', () => events.push('connected'));
    server.on('disconnected', () => events.push('disconnected'));
    const client = createClientTransport(endpoint, { engine: 'zmtp' });
    await client.send(numbered(7, 20));
    const it = server[Symbol.asyncIterator]();
    const first = await within(it.next(), 10_000, 'first message');
    const peer = (first.value as { peer: string }).peer;
    await client.close();
    await waitFor(() => events.includes('disconnected'), 'server sees the disconnect');
    expect(events).toEqual(['connected', 'disconnected']);
    await expect(server.send(peer, new Uint8Array(1))).rejects.toBeInstanceOf(TransportError);
  });

  it('refuses inproc:// (libzmq only) and an out-of-range port with INVALID_ENDPOINT', async () => {
    const server = resources.add(createServerTransport({ engine: 'zmtp' }));
    await expect(server.listen('inproc://nowhere')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
    await expect(server.listen('tcp://127.0.0.1:70000')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
  });
});

describe('zmtp engine at scale', () => {
  it('2,000 clients in one process against one server all complete a round trip', async () => {
    // libzmq's default context caps a process at 1,023 sockets (about 340
    // clients); the zmtp engine needs one file descriptor per connection.
    const N = 2_000;
    const server = resources.add(createServerTransport({ engine: 'zmtp', heartbeatIntervalMs: 0 }));
    const endpoint = await server.listen('tcp://127.0.0.1:0');
    void (async () => {
      for await (const { peer, message } of server) await server.send(peer, message.slice());
    })();
    const clients = Array.from({ length: N }, () =>
      resources.add(createClientTransport(endpoint, { engine: 'zmtp', heartbeatIntervalMs: 0 })),
    );
    const answers = await within(
      Promise.all(
        clients.map(async (client, i) => {
          await client.send(numbered(i, 16));
          const next = await client[Symbol.asyncIterator]().next();
          return checkNumbered(next.value as Uint8Array, i, 16);
        }),
      ),
      60_000,
      'every client gets its echo',
    );
    expect(answers.filter((problem) => problem !== '')).toEqual([]);
    expect(server.stats().peers).toBe(N);
  }, 90_000);
});
