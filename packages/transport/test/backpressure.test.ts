import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport, createServerTransport, TransportError } from '../src/index.js';
import {
  bindAddress,
  checkNumbered,
  numbered,
  Resources,
  waitForStall,
  within,
} from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('backpressure', () => {
  it('a receiver that stops reading makes the sender wait; nothing is lost when it resumes', async () => {
    const DEPTH = 256;
    const SIZE = 8192;
    // Far more than libzmq's queues and the kernel's TCP buffers can hold.
    const TOTAL = 20_000;
    const server = resources.add(createServerTransport({ receiveHighWaterMark: 10 }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = resources.add(
      createClientTransport(endpoint, { sendQueueDepth: DEPTH, sendHighWaterMark: 10 }),
    );
    await client.ready({ timeoutMs: 10_000 });

    const heapBefore = process.memoryUsage();
    let sent = 0;
    let maxDepth = 0;
    const producer = (async () => {
      for (; sent < TOTAL; sent++) {
        await client.send(numbered(sent, SIZE));
        maxDepth = Math.max(maxDepth, client.stats().queueDepth);
      }
    })();

    // Nobody reads on the server: the producer stalls with the queue at its bound.
    const stalledAt = await waitForStall(() => sent, 'the producer to stall');
    expect(stalledAt).toBeLessThan(TOTAL);
    expect(client.stats().queueDepth).toBe(DEPTH);
    expect(maxDepth).toBeLessThanOrEqual(DEPTH);
    const heapStalled = process.memoryUsage();
    // Sender memory is bounded by the queue (256 x 8 KiB) and libzmq's HWM, not by TOTAL (160 MB).
    const growth =
      heapStalled.heapUsed +
      heapStalled.arrayBuffers -
      (heapBefore.heapUsed + heapBefore.arrayBuffers);
    expect(growth).toBeLessThan(64 * 1024 * 1024);

    // Resume: every message arrives, in order.
    let received = 0;
    for await (const { message } of server) {
      const problem = checkNumbered(message, received, SIZE);
      if (problem !== '') throw new Error(problem);
      if (++received === TOTAL) break;
    }
    await within(producer, 30_000, 'producer finishes');
    expect(received).toBe(TOTAL);
    expect(client.stats().drops).toBe(0);
    expect(client.stats().messagesOut).toBe(TOTAL);
  });

  it("whenFull: 'error' rejects with QUEUE_FULL instead of waiting", async () => {
    // Nobody listens: the DEALER queues into its pipe until the HWM, then our queue fills.
    const client = resources.add(
      createClientTransport('tcp://127.0.0.1:1', {
        sendQueueDepth: 8,
        sendHighWaterMark: 1,
        whenFull: 'error',
        closeTimeoutMs: 0,
      }),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client.send(numbered(i, 10))),
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(8);
    expect(rejected).toHaveLength(12);
    for (const r of rejected) {
      const reason = (r as PromiseRejectedResult).reason as TransportError;
      expect(reason).toBeInstanceOf(TransportError);
      expect(reason.code).toBe('QUEUE_FULL');
    }
  });
});

describe('server peers', () => {
  it('send to an unknown peer rejects UNREACHABLE at once', async () => {
    const server = resources.add(createServerTransport());
    await server.listen(bindAddress('inproc'));
    await expect(server.send('nobody', Buffer.from('x'))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
  });

  it('a slow peer does not hold up the others', async () => {
    const DEPTH = 64;
    const server = resources.add(
      createServerTransport({ sendQueueDepth: DEPTH, sendHighWaterMark: 5 }),
    );
    const endpoint = await server.listen(bindAddress('tcp'));
    const slow = resources.add(createClientTransport(endpoint, { receiveHighWaterMark: 5 }));
    const fast = resources.add(createClientTransport(endpoint));
    await Promise.all([slow.ready({ timeoutMs: 10_000 }), fast.ready({ timeoutMs: 10_000 })]);

    // Learn both peer ids from a hello each.
    await slow.send(Buffer.from('slow'));
    await fast.send(Buffer.from('fast'));
    const peers = new Map<string, string>();
    const serverIt = server[Symbol.asyncIterator]();
    while (peers.size < 2) {
      const { value } = await within(serverIt.next(), 10_000, 'hello');
      peers.set(Buffer.from(value!.message).toString(), value!.peer);
    }
    const slowPeer = peers.get('slow')!;
    const fastPeer = peers.get('fast')!;

    // Flood the slow peer (it never reads) until its queue is full and sends wait.
    let floodSent = 0;
    const flood = (async () => {
      for (; floodSent < 100_000; floodSent++) {
        await server.send(slowPeer, numbered(floodSent, 8192)).catch(() => {});
        if (server.closed) return;
      }
    })();
    // Ends by itself when the server closes (pending sends reject with CLOSED).
    void flood;
    await waitForStall(() => floodSent, 'the flood to stall');
    expect(server.stats().queueDepth).toBeGreaterThanOrEqual(DEPTH);

    // Meanwhile the fast peer gets everything.
    const N = 5_000;
    const got = (async () => {
      let i = 0;
      for await (const message of fast) {
        const problem = checkNumbered(message, i, 100);
        if (problem !== '') throw new Error(problem);
        if (++i === N) return i;
      }
      return i;
    })();
    for (let i = 0; i < N; i++) await server.send(fastPeer, numbered(i, 100));
    expect(await within(got, 20_000, 'fast peer receives all')).toBe(N);
  });

  it('a peer that goes away fails its queued messages and later sends', async () => {
    const server = resources.add(createServerTransport({ sendHighWaterMark: 2 }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = createClientTransport(endpoint, { receiveHighWaterMark: 2 });
    await client.ready({ timeoutMs: 10_000 });
    await client.send(Buffer.from('hi'));
    const serverIt = server[Symbol.asyncIterator]();
    const { value } = await within(serverIt.next(), 10_000, 'hello');
    const peer = value!.peer;
    const disconnected = new Promise<{ peer?: string }>((resolve) => {
      server.on('disconnected', resolve);
    });
    await client.close();
    // The disconnect notification travels in the receive stream: keep reading.
    void serverIt.next();
    expect((await within(disconnected, 10_000, 'server disconnected event')).peer).toBe(peer);
    await expect(server.send(peer, Buffer.from('late'))).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
  });
});

describe('server send queue byte bound (sendQueueBytes)', () => {
  it('a peer that stops reading stalls the server at the byte bound; isFull tells; nothing is lost', async () => {
    const SIZE = 8192;
    const BOUND = 64 * 1024;
    const TOTAL = 5_000;
    const server = resources.add(
      createServerTransport({ sendQueueBytes: BOUND, sendHighWaterMark: 10 }),
    );
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = resources.add(createClientTransport(endpoint, { receiveHighWaterMark: 10 }));
    await client.ready({ timeoutMs: 10_000 });
    await client.send(new Uint8Array([1]));
    const inbound = server[Symbol.asyncIterator]();
    const { peer } = (await inbound.next()).value as { peer: string };
    expect(server.isFull(peer)).toBe(false);

    let sent = 0;
    let maxDepth = 0;
    const producer = (async () => {
      for (; sent < TOTAL; sent++) {
        await server.send(peer, numbered(sent, SIZE));
        maxDepth = Math.max(maxDepth, server.stats().queueDepth);
      }
    })();
    const stalledAt = await waitForStall(() => sent, 'the server producer to stall');
    expect(stalledAt).toBeLessThan(TOTAL);
    // Within the byte bound (plus the one message that crosses it), far below sendQueueDepth.
    expect(maxDepth).toBeLessThanOrEqual(BOUND / SIZE + 1);
    expect(server.isFull(peer)).toBe(true);

    let received = 0;
    for await (const message of client) {
      const problem = checkNumbered(message, received, SIZE);
      if (problem !== '') throw new Error(problem);
      if (++received === TOTAL) break;
    }
    await within(producer, 30_000, 'producer finishes');
    expect(received).toBe(TOTAL);
    expect(server.isFull(peer)).toBe(false);
  });
});
