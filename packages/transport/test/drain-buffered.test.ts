import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport, createServerTransport } from '../src/index.js';
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
