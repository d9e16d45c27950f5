import { Code, createClient, createServer, defineService } from '@xsmb/rpc';
import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { clientStream } from '../src/index.js';

const Svc = defineService('overflow.Upload', {
  collect: clientStream<null, { n: number }, { count: number; ordered: boolean }>(),
});

const resources = new Resources();
afterEach(() => resources.closeAll());

async function start() {
  const seen = { count: 0, started: false, aborted: false, finished: false };
  const server = createServer();
  server.add(Svc, {
    async collect(_open, chunks, ctx) {
      seen.started = true;
      seen.aborted = ctx.signal.aborted;
      ctx.signal.addEventListener('abort', () => {
        seen.aborted = true;
      });
      let count = 0;
      let ordered = true;
      for await (const c of chunks) {
        if (c.n !== count) ordered = false;
        count++;
        seen.count = count;
      }
      seen.finished = true;
      return { count, ordered };
    },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  resources.defer(() => server.close({ graceMs: 0 }));
  const client = resources.add(createClient(Svc, { endpoints: [endpoint as string] }));
  return { client, seen, server };
}

describe('client streams never end in partial success', () => {
  it('20,000 unawaited sends: close() never resolves with fewer than 20,000', async () => {
    const { client, seen, server } = await start();
    // Connected first, so the REQUEST leaves at once and the server has a call to cancel.
    await expect(client.collect(null).close()).resolves.toEqual({ count: 0, ordered: true });
    Object.assign(seen, { count: 0, started: false, aborted: false, finished: false });
    const up = client.collect(null);
    const sends: Array<Promise<void>> = [];
    for (let n = 0; n < 20_000; n++) sends.push(up.send({ n }));
    const outcomes = await Promise.allSettled(sends);
    const closed = await up.close().then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    if (closed.ok) {
      expect(closed.r).toEqual({ count: 20_000, ordered: true });
      expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    } else {
      // The chosen contract: overflow fails the whole stream.
      expect(closed.e).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
      await expect(up.result).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
      await expect(up.send({ n: -1 })).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
      // The server saw the call cancelled (its handler, if it got to run, saw
      // its signal abort), never a short stream that ended normally.
      await waitFor(() => server.stats().cancelled >= 1, 'the server to see the cancel');
      if (seen.started) await waitFor(() => seen.aborted, 'the handler to see the cancel');
      expect(seen.finished).toBe(false);
    }
  });

  it('awaited sends are never refused: 20,000 arrive complete and in order', async () => {
    const { client } = await start();
    const up = client.collect(null);
    for (let n = 0; n < 20_000; n++) await up.send({ n });
    await expect(up.close()).resolves.toEqual({ count: 20_000, ordered: true });
  });
});
