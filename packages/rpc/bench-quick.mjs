import { fork } from 'node:child_process';
import { createClient, createServer, defineService, unary } from './dist/index.js';

const Svc = defineService('b.Svc', { echo: unary() });
const payload = {
  id: 1,
  user: { name: 'Ada Lovelace', email: 'ada@example.com' },
  items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => ({ sku: `SKU-${i}`, qty: i })),
  ts: 1700000000000,
};
if (process.argv[2] === 'server') {
  const server = createServer();
  server.add(Svc, { echo: (r) => r });
  const [ep] = await server.listen('tcp://127.0.0.1:0');
  process.send(ep);
  process.on('SIGINT', () => process.exit(0));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['server'], {
    execArgv: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/xb/sprof'] : [],
  });
  const ep = await new Promise((r) => child.once('message', r));
  const c = createClient(Svc, { endpoints: [ep] });
  await c.echo(payload);
  // latency
  const lat = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await c.echo(payload);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  console.log('p50 us', (lat[1500] * 1000).toFixed(0), 'p99 us', (lat[2970] * 1000).toFixed(0));
  for (const inflight of [64]) {
    let n = 0;
    const end = performance.now() + 3000;
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (performance.now() < end) {
          await c.echo(payload);
          n++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `inflight ${inflight}: ${(n / 3).toFixed(0)} req/s, client cpu/op ${((cpu.user + cpu.system) / n).toFixed(2)} us`,
    );
  }
  await c.close();
  child.kill('SIGINT');
}
