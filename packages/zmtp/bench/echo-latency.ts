// Echo round trip, 1 in flight, 200 B, p50/p99: zmtp DEALER→ROUTER vs raw node:net.
// A few seconds. Run: npx tsx bench/echo-latency.ts [iterations]
import * as net from 'node:net';
import { createDealer, createRouter } from '../src/index.js';

const N = Number(process.argv[2] ?? 20_000);
const payload = Buffer.alloc(200, 7);

function report(name: string, t: number[]): void {
  t.sort((a, b) => a - b);
  const p = (q: number) => t[Math.floor(t.length * q)]!.toFixed(1);
  console.log(`${name.padEnd(28)} p50 ${p(0.5)} µs  p99 ${p(0.99)} µs  (${t.length} round trips)`);
}

async function loop(send: () => void, onReply: (cb: () => void) => void): Promise<number[]> {
  const times: number[] = [];
  let i = 0;
  let start = 0n;
  return new Promise((resolve) => {
    onReply(() => {
      if (i++ >= N / 10) times.push(Number(process.hrtime.bigint() - start) / 1000);
      if (i >= N + N / 10) return resolve(times);
      start = process.hrtime.bigint();
      send();
    });
    start = process.hrtime.bigint();
    send();
  });
}

{
  const router = createRouter({ onMessage: (id, f) => router.send(id, f) });
  const ep = await router.bind('tcp://127.0.0.1:0');
  const dealer = createDealer();
  dealer.connect(ep);
  const frames = [payload];
  report(
    'zmtp DEALER → zmtp ROUTER',
    await loop(
      () => dealer.send(frames),
      (cb) => {
        dealer.onMessage = cb;
      },
    ),
  );
  await dealer.close();
  await router.close();
}
{
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((r) => s.once('connect', r));
  report(
    'raw node:net echo',
    await loop(
      () => s.write(payload),
      (cb) => s.on('data', cb),
    ),
  );
  s.destroy();
  server.close();
}
