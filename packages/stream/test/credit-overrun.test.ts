import { createMsgpackCodec } from '@xsmb/codec';
import { createClient, createServer, defineService } from '@xsmb/rpc';
import { createMemoryNetwork } from '@xsmb/transport';
import { Resources } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { clientStream, serverStream } from '../src/index.js';
// Engine-side symbols through the package's one import point (see src/rpc-kit.ts).
import { Code, type Envelope, encodeData, encodeEnd, encodeRequest, Kind } from '../src/rpc-kit.js';

// A peer that sends DATA beyond the credit it was granted is caught:
// RESOURCE_EXHAUSTED, an ERROR from a server, a CANCEL from a client
// (docs/PROTOCOL.md, "Credit").

const Svc = defineService('overrun.Demo', {
  feed: serverStream<null, number>({ windowMessages: 4 }),
  take: clientStream<null, number, number>({ windowMessages: 2 }),
});

const codec = createMsgpackCodec();
const resources = new Resources();
afterEach(() => resources.closeAll());

/** Reads decoded envelopes from an async iterable of messages. */
function envelopes(source: AsyncIterable<Uint8Array>): AsyncIterator<Envelope> {
  return (async function* () {
    for await (const m of source) yield codec.decode(m) as Envelope;
  })();
}

describe('a peer beyond its credit', () => {
  it('a server that sends more DATA than the client granted fails the stream; the client cancels', async () => {
    const net = createMemoryNetwork();
    const transport = resources.add(net.server());
    const endpoint = await transport.listen('memory://*');
    const received: number[] = [];
    void (async () => {
      for await (const { peer, message } of transport) {
        const env = codec.decode(message) as Envelope;
        received.push(env[1] as number);
        if (env[1] !== Kind.REQUEST) continue;
        const id = env[2] as number;
        // The client granted 4 messages; send 5 at once.
        for (let n = 0; n < 5; n++) await transport.send(peer, encodeData(codec, id, n));
      }
    })().catch(() => {});
    const client = resources.add(
      createClient(Svc, { endpoints: [endpoint], transport: (e) => net.client(e) }),
    );
    // Nothing is read: the client's inbox holds its window of 4, the fifth is one too many.
    const call = client.feed(null);
    await expect(call.trailers).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      rawMessage: 'the server sent beyond its credit',
    });
    await expect(call[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
    await expect.poll(() => received).toEqual([Kind.REQUEST, Kind.CREDIT, Kind.CANCEL]);
  });

  async function rawClient() {
    const net = createMemoryNetwork();
    const server = createServer({ transport: net.server() });
    server.add(Svc, {
      async *feed() {},
      // Reads nothing until the call ends: no credit is granted back.
      async take(_open, _incoming, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return 0;
      },
    });
    const [endpoint] = await server.listen('memory://*');
    resources.defer(() => server.close({ graceMs: 0 }));
    const transport = resources.add(net.client(endpoint as string));
    await transport.ready();
    const path = 'overrun.Demo/take';
    await transport.send(encodeRequest(codec, 1, path, 10_000, undefined, null, 'client-stream'));
    return { transport, incoming: envelopes(transport) };
  }

  it("a client that sends DATA beyond the server's window gets RESOURCE_EXHAUSTED", async () => {
    const { transport, incoming } = await rawClient();
    const credit = (await incoming.next()).value as Envelope;
    expect(credit).toEqual([1, Kind.CREDIT, 1, 2, 1 << 20]);
    for (let n = 0; n < 3; n++) await transport.send(encodeData(codec, 1, n));
    await transport.send(encodeEnd(codec, 1, undefined));
    const answer = (await incoming.next()).value as Envelope;
    expect(answer.slice(0, 5)).toEqual([
      1,
      Kind.ERROR,
      1,
      Code.RESOURCE_EXHAUSTED,
      'the client sent beyond its credit',
    ]);
  });

  it('DATA before the server granted any credit is beyond it too', async () => {
    const net = createMemoryNetwork();
    const server = createServer({ transport: net.server() });
    const chunks: number[] = [];
    server.add(Svc, {
      async *feed() {},
      take: {
        // Authorization that waits: the DATA arrives before the first CREDIT could.
        async authorize() {
          await new Promise((r) => setImmediate(r));
        },
        async handler(_open, incoming) {
          for await (const c of incoming) chunks.push(c);
          return chunks.length;
        },
      },
    });
    const [endpoint] = await server.listen('memory://*');
    resources.defer(() => server.close({ graceMs: 0 }));
    const transport = resources.add(net.client(endpoint as string));
    await transport.ready();
    const incoming = envelopes(transport);
    await transport.send(
      encodeRequest(codec, 1, 'overrun.Demo/take', 10_000, undefined, null, 'client-stream'),
    );
    await transport.send(encodeData(codec, 1, 7));
    const answer = (await incoming.next()).value as Envelope;
    expect(answer.slice(0, 4)).toEqual([1, Kind.ERROR, 1, Code.RESOURCE_EXHAUSTED]);
    expect(chunks).toEqual([]);
  });
});
