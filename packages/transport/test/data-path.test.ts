import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport, createServerTransport } from '../src/index.js';
import {
  bindAddress,
  checkNumbered,
  numbered,
  PROTOS,
  Resources,
  turn,
  waitFor,
  within,
} from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

/** Sizes cycle through small, empty and (every 10,000th) large messages. */
function sizeOf(i: number): number {
  if (i % 10_000 === 9_999) return 40_000; // above burst.largeMessageBytes: travels alone
  if (i % 1_000 === 500) return 0;
  return 8 + (i % 200);
}

/** Lets `n` rounds of microtasks run, without ending the event loop's turn. */
async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('data path', () => {
  for (const proto of PROTOS) {
    it(`100,000 messages each way arrive complete and in order over ${proto}`, async () => {
      const N = 100_000;
      const server = resources.add(createServerTransport());
      const endpoint = await server.listen(bindAddress(proto));
      const client = resources.add(createClientTransport(endpoint));
      await client.ready({ timeoutMs: 10_000 });

      // Server: check each request, echo it.
      const serverDone = (async () => {
        let i = 0;
        for await (const { peer, message } of server) {
          const size = sizeOf(i);
          const problem =
            size === 0 ? (message.length === 0 ? '' : 'empty') : checkNumbered(message, i, size);
          if (problem !== '') throw new Error(`server: ${problem}`);
          await server.send(peer, message.slice());
          if (++i === N) return i;
        }
        return i;
      })();
      // Client: check each echo.
      const clientDone = (async () => {
        let i = 0;
        for await (const message of client) {
          const size = sizeOf(i);
          const problem =
            size === 0 ? (message.length === 0 ? '' : 'empty') : checkNumbered(message, i, size);
          if (problem !== '') throw new Error(`client: ${problem}`);
          if (++i === N) return i;
        }
        return i;
      })();
      for (let i = 0; i < N; i++) {
        const size = sizeOf(i);
        await client.send(size === 0 ? new Uint8Array(0) : numbered(i, size));
      }
      expect(await within(serverDone, 50_000, 'server receives all')).toBe(N);
      expect(await within(clientDone, 50_000, 'client receives all echoes')).toBe(N);

      const c = client.stats();
      const s = server.stats();
      expect(c.messagesOut).toBe(N);
      expect(c.messagesIn).toBe(N);
      expect(s.messagesIn).toBe(N);
      expect(s.messagesOut).toBe(N);
      expect(c.drops + s.drops).toBe(0);
      // Bursting happened: far fewer ZeroMQ messages than logical ones.
      expect(c.bursts).toBeGreaterThan(0);
      expect(s.bursts).toBeGreaterThan(0);
      expect(c.zmqOut).toBeLessThan(N / 4);
      expect(s.zmqIn).toBe(c.zmqOut);
      expect(c.queueDepth).toBe(0);
    });
  }

  it('a lone message leaves on the next event-loop turn, not after a timer', async () => {
    const server = resources.add(createServerTransport());
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = resources.add(createClientTransport(endpoint));
    await client.ready({ timeoutMs: 10_000 });
    const before = client.stats().zmqOut;
    await client.send(Buffer.from('alone'));
    expect(client.stats().zmqOut).toBe(before); // queued, not yet written
    await turn();
    // Written during the turn: the flush is a setImmediate, not a timer.
    expect(client.stats().zmqOut).toBe(before + 1);
    expect(client.stats().bursts).toBe(0);
    const it = server[Symbol.asyncIterator]();
    const got = await within(it.next(), 10_000, 'the lone message');
    expect(Buffer.from(got.value!.message).toString()).toBe('alone');
  });

  it('messages queued in one turn travel as one burst, bounded by burst.maxMessages', async () => {
    const server = resources.add(createServerTransport());
    const endpoint = await server.listen(bindAddress('inproc'));
    const client = resources.add(createClientTransport(endpoint, { burst: { maxMessages: 10 } }));
    for (let i = 0; i < 25; i++) void client.send(numbered(i, 16));
    await waitFor(() => client.stats().zmqOut === 3, 'three ZeroMQ messages');
    expect(client.stats().bursts).toBe(3); // 10 + 10 + 5
    let i = 0;
    for await (const { message } of server) {
      expect(checkNumbered(message, i, 16)).toBe('');
      if (++i === 25) break;
    }
    expect(server.stats().zmqIn).toBe(3);
  });

  it('burst.flushAt sends a burst at once, before the turn ends; the rest follows at its end', async () => {
    const server = resources.add(createServerTransport({ burst: { flushAt: 3 } }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = resources.add(createClientTransport(endpoint, { burst: { flushAt: 4 } }));
    await client.ready({ timeoutMs: 10_000 });
    // (Counters move when libzmq has taken a message: a few microtasks after
    // the send, still within the same turn of the event loop.)
    for (let i = 0; i < 3; i++) void client.send(numbered(i, 16));
    await microtasks(20);
    expect(client.stats().zmqOut).toBe(0); // below flushAt: waits for the turn's end
    // The 4th makes a burst worth sending now; the 5th to 10th queue behind
    // the send in progress and wait for the end of the turn.
    for (let i = 3; i < 10; i++) void client.send(numbered(i, 16));
    await microtasks(20);
    expect(client.stats().zmqOut).toBe(1);
    await waitFor(() => client.stats().zmqOut === 2, 'the rest at the end of the turn');
    expect(client.stats().bursts).toBe(2); // 4 + 6

    let peer = '';
    const it = server[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) {
      const r = await within(it.next(), 10_000, `message ${i}`);
      expect(checkNumbered(r.value!.message, i, 16)).toBe('');
      peer = r.value!.peer;
    }
    expect(server.stats().zmqIn).toBe(2);
    // The server side does the same with its replies.
    for (let i = 0; i < 3; i++) void server.send(peer, numbered(i, 16));
    await microtasks(20);
    expect(server.stats().zmqOut).toBe(1);
    for (let i = 3; i < 5; i++) void server.send(peer, numbered(i, 16));
    await waitFor(() => server.stats().zmqOut === 2, 'both bursts of replies');
    const replies = client[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) {
      const r = await within(replies.next(), 10_000, `reply ${i}`);
      expect(checkNumbered(r.value!, i, 16)).toBe('');
    }
    expect(() => createClientTransport(endpoint, { burst: { flushAt: 0 } })).toThrow(TypeError);
  });

  it('bursts respect burst.maxBytes and large messages are not copied into bursts', async () => {
    const server = resources.add(createServerTransport());
    const endpoint = await server.listen(bindAddress('inproc'));
    const client = resources.add(
      createClientTransport(endpoint, {
        burst: { maxBytes: 1 + 3 * (4 + 100), largeMessageBytes: 1000 },
      }),
    );
    const big = numbered(99, 5000);
    for (let i = 0; i < 6; i++) void client.send(numbered(i, 100));
    void client.send(big);
    await waitFor(() => client.stats().zmqOut === 3, 'two bursts of 3 and one large message');
    const received: Uint8Array[] = [];
    for await (const { message } of server) {
      received.push(message);
      if (received.length === 7) break;
    }
    for (let i = 0; i < 6; i++) expect(checkNumbered(received[i]!, i, 100)).toBe('');
    expect(checkNumbered(received[6]!, 99, 5000)).toBe('');
    expect(client.stats().bursts).toBe(2);
  });
});
