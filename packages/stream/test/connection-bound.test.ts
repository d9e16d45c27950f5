import { createClient, createServer, defineService } from '@xsmb/rpc';
import { type ClientTransport, createClientTransport } from '@xsmb/transport';
import { Resources } from '@xsmb/vitest-config/test-helpers';
import { afterEach, expect, it } from 'vitest';
import { clientStream } from '../src/index.js';

const Svc = defineService('bound.Upload', {
  collect: clientStream<null, { n: number }, { count: number; ordered: boolean }>(),
});

const resources = new Resources();
afterEach(() => resources.closeAll());

it('many client streams on one connection: sends beyond its send queue wait, about one per stream; all arrive in order', {
  timeout: 60_000,
}, async () => {
  const server = createServer();
  server.add(Svc, {
    async collect(_open, chunks) {
      let count = 0;
      let ordered = true;
      for await (const c of chunks) {
        if (c.n !== count) ordered = false;
        count++;
      }
      return { count, ordered };
    },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  resources.defer(() => server.close({ graceMs: 0 }));
  // Counts the sends the connection's queue holds waiting (unsettled promises).
  let waiting = 0;
  let maxWaiting = 0;
  const transport = (ep: string): ClientTransport => {
    const t = createClientTransport(ep, { sendQueueDepth: 64 });
    const send = t.send.bind(t);
    t.send = (message) => {
      const full = t.isFull?.() ?? false;
      const p = send(message);
      if (full) {
        maxWaiting = Math.max(maxWaiting, ++waiting);
        void p.finally(() => waiting--).catch(() => {});
      }
      return p;
    };
    return t;
  };
  const client = resources.add(createClient(Svc, { endpoints: [endpoint as string], transport }));
  const streams = 100;
  const items = 2000;
  const results = await Promise.all(
    Array.from({ length: streams }, async () => {
      const up = client.collect(null);
      for (let n = 0; n < items; n++) await up.send({ n });
      return up.close();
    }),
  );
  expect(results).toEqual(Array.from({ length: streams }, () => ({ count: items, ordered: true })));
  // Without the bound every stream's credit (2,048 messages) could wait in the queue.
  expect(maxWaiting).toBeLessThanOrEqual(2 * streams);
});
