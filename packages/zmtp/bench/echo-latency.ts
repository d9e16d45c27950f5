// Echo round trip, 1 in flight, 200 B, p50/p99: zmtp DEALER→ROUTER (same process and against a
// libzmq ROUTER in a child process) vs raw node:net.
// A few seconds. Run: npx tsx bench/echo-latency.ts [iterations]
import { fork } from 'node:child_process';
import * as net from 'node:net';
import { createDealer, createRouter } from '../src/index.js';

const N = Number(process.argv[2] ?? 20_000);
const payload = Buffer.alloc(200, 7);

function report(name: string, t: number[]): void {
  t.sort((a, b) => a - b);
  const p = (q: number) => t[Math.floor(t.length * q)]!.toFixed(1);
  console.log(`${name.padEnd(42)} p50 ${p(0.5)} µs  p99 ${p(0.99)} µs  (${t.length} round trips)`);
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

/** Round trips of a zmtp DEALER connected to `ep`, reported as `name`. */
async function dealerEcho(name: string, ep: string): Promise<void> {
  const dealer = createDealer();
  dealer.connect(ep);
  const frames = [payload];
  report(
    name,
    await loop(
      () => dealer.send(frames),
      (cb) => {
        dealer.onMessage = cb;
      },
    ),
  );
  await dealer.close();
}

/** Round trips of a node:net connection to 127.0.0.1:`port`, reported as `name`. */
async function netEcho(name: string, port: number): Promise<void> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((r) => s.once('connect', r));
  report(
    name,
    await loop(
      () => s.write(payload),
      (cb) => s.on('data', cb),
    ),
  );
  s.destroy();
}

{
  const router = createRouter({ onMessage: (id, f) => router.send(id, f) });
  await dealerEcho(
    'zmtp DEALER → zmtp ROUTER (same process)',
    await router.bind('tcp://127.0.0.1:0'),
  );
  await router.close();
}
{
  // A zeromq.js (libzmq) ROUTER echo in a child process.
  const child = fork(new URL('../test/fixtures/zmq-router.mjs', import.meta.url).pathname, [], {
    stdio: 'ignore',
  });
  const ep = await new Promise<string>((r) => child.once('message', (m) => r(String(m))));
  await dealerEcho('zmtp DEALER → libzmq ROUTER', ep);
  child.kill();
}
function child(script: string, args: string[], execArgv: string[] = []) {
  const c = fork(new URL(script, import.meta.url).pathname, args, { stdio: 'ignore', execArgv });
  return new Promise<{ ep: string; kill: () => void }>((r) =>
    c.once('message', (m) => r({ ep: String(m), kill: () => c.kill() })),
  );
}
{
  const { ep, kill } = await child('./peers.ts', ['zmtp'], ['--import', 'tsx']);
  await dealerEcho('zmtp DEALER → zmtp ROUTER (child)', ep);
  kill();
}
{
  const { ep, kill } = await child('./peers.ts', ['net'], ['--import', 'tsx']);
  await netEcho('raw node:net echo (child)', Number(ep.split(':').pop()));
  kill();
}
{
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await netEcho('raw node:net echo (same process)', (server.address() as net.AddressInfo).port);
  server.close();
}
