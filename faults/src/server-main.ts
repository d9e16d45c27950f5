/**
 * The server side of the fault suite, run as its own process inside a
 * host's namespace (`ip netns exec <ns> node --import tsx server-main.ts
 * <address> [rpc port]`). Serves {@link Probe} and a publisher of {@link Feed}, prints
 * one JSON line `{ "rpc": endpoint, "pub": endpoint }` when listening, and
 * exits when its stdin closes, so it never outlives the test that started it.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { createPublisher } from '@xsmb/pubsub';
import { Code, createServer, RpcError } from '@xsmb/rpc';
import { Feed, Probe } from './contract.js';

const address = process.argv[2] ?? '127.0.0.1';
const rpcPort = Number(process.argv[3] ?? 0);

const runsById = new Map<string, number>();
let runs = 0;
let publishing: Promise<void> = Promise.resolve();
let publishingDone = true;

// slowSubscriber 'drop' (the default): a publisher never waits for a subscriber
// behind a partition; what it cannot deliver shows up as gaps.
const publisher = createPublisher();
const server = createServer();
server.add(Probe, {
  ping: (req) => ({ n: req.n }),
  async sleep(req, ctx) {
    const started = performance.now();
    await sleep(req.ms, undefined, { signal: ctx.signal }).catch(() => undefined);
    if (ctx.signal.aborted) throw new RpcError(Code.CANCELLED, 'cancelled');
    return { slept: performance.now() - started };
  },
  record(req) {
    runs++;
    const n = (runsById.get(req.id) ?? 0) + 1;
    runsById.set(req.id, n);
    return { runs: n };
  },
  tally() {
    const duplicated = [...runsById].filter(([, n]) => n > 1).map(([id]) => id);
    return { runs, ids: runsById.size, duplicated };
  },
  async *ticks(req, ctx) {
    const pad = new Uint8Array(req.bytes);
    for (let n = 0; n < req.count; n++) {
      if (ctx.signal.aborted) return;
      yield { n, pad };
      if (req.intervalMs) await sleep(req.intervalMs);
    }
  },
  async upload(_open, chunks) {
    let count = 0;
    let inOrder = true;
    for await (const chunk of chunks) {
      if (chunk.n !== count) inOrder = false;
      count++;
    }
    return { count, inOrder };
  },
  publish(req) {
    if (!publishingDone) throw new RpcError(Code.FAILED_PRECONDITION, 'already publishing');
    publishingDone = false;
    publishing = (async () => {
      for (let n = 1; n <= req.count; n++) {
        await publisher.publish(Feed, { n });
        // Pacing, not synchronisation: a feed at a steady rate.
        if (req.intervalMs > 0) await sleep(req.intervalMs);
      }
    })().finally(() => {
      publishingDone = true;
    });
    return { started: true };
  },
  async pubStats(req) {
    if (req.waitDone) await publishing;
    const stats = publisher.stats();
    return {
      published: stats.published,
      unmatched: stats.unmatched,
      dropped: stats.dropped,
      done: publishingDone,
    };
  },
});

const [rpc] = await server.listen(`tcp://${address}:${rpcPort}`);
const [pub] = await publisher.listen(`tcp://${address}:0`);
process.stdout.write(`${JSON.stringify({ rpc, pub })}\n`);

const shutdown = async (): Promise<void> => {
  await server.close({ graceMs: 200 }).catch(() => undefined);
  await publisher.close().catch(() => undefined);
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
