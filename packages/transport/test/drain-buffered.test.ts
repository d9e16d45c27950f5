import { afterEach, describe, expect, it } from 'vitest';
import {
  createClientTransport,
  createPublisherTransport,
  createServerTransport,
  createSubscriberTransport,
} from '../src/index.js';
import type { ClientTransport, ServerTransport } from '../src/types.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const t of open.splice(0).reverse()) await t.close();
});

const msg = (i: number) => Buffer.from(`m${i}`);

describe('drainBuffered', () => {
  it('hands the rest of a burst over synchronously, in order, then iteration continues', async () => {
    const server: ServerTransport = createServerTransport();
    open.push(server);
    const [endpoint] = [await server.listen('tcp://127.0.0.1:0')];
    const client: ClientTransport = createClientTransport(endpoint as string);
    open.push(client);
    await client.ready({ timeoutMs: 10_000 });

    // 100 messages queued in one turn travel as one burst.
    for (let i = 0; i < 100; i++) void client.send(msg(i));
    const seen: string[] = [];
    let drained = 0;
    const it = server[Symbol.asyncIterator]();
    let peer = '';
    while (seen.length < 100) {
      const r = await it.next();
      if (r.done) break;
      peer = r.value.peer;
      seen.push(r.value.message.toString());
      server.drainBuffered?.((p, m) => {
        expect(p).toBe(peer);
        seen.push(Buffer.from(m).toString());
        drained++;
      });
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(drained).toBeGreaterThan(0);

    // Replies the same way on the client side; the next burst comes through the iterator again.
    for (let i = 0; i < 50; i++) void server.send(peer, msg(i));
    const back: string[] = [];
    const cit = client[Symbol.asyncIterator]();
    while (back.length < 50) {
      const r = await cit.next();
      if (r.done) break;
      back.push(Buffer.from(r.value).toString());
      client.drainBuffered?.((m) => back.push(Buffer.from(m).toString()));
    }
    expect(back).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    void client.send(msg(999));
    const next = await it.next();
    expect(next.done).toBe(false);
    expect((next.value as { message: Uint8Array }).message.toString()).toBe('m999');
  });
});

describe('drainBuffered on a subscriber', () => {
  it('hands over ranges of the burst with their topic, stops when the sink says so, and the iterator resumes in order', async () => {
    const pub = createPublisherTransport();
    open.push(pub);
    const endpoint = await pub.listen('tcp://127.0.0.1:0');
    const sub = createSubscriberTransport({ endpoints: [endpoint] });
    open.push(sub);
    sub.subscribe(Buffer.from('t'));
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });

    // 100 messages published in one turn travel as one burst of topic 't'.
    for (let i = 0; i < 100; i++) void pub.publish(Buffer.from('t'), msg(i));
    const seen: string[] = [];
    let drained = 0;
    let stops = 0;
    const it = sub[Symbol.asyncIterator]();
    while (seen.length < 100) {
      const r = await it.next();
      if (r.done) break;
      seen.push(Buffer.from(r.value.message).toString());
      sub.drainBuffered?.((topic, burst, start, end) => {
        expect(Buffer.from(topic).toString()).toBe('t');
        seen.push(Buffer.from(burst.subarray(start, end)).toString());
        drained++;
        // Every 10th entry: pause; the rest must come through the iterator next.
        if (drained % 10 === 0) {
          stops++;
          return false;
        }
        return true;
      });
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(drained).toBeGreaterThan(10);
    expect(stops).toBeGreaterThan(0);
    expect(sub.stats().messagesIn).toBe(100);
  });
});
