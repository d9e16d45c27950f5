// Echo peers for echo-latency.ts, run in a child process: `zmtp` (our ROUTER) or `net` (raw echo).
import * as net from 'node:net';
import { createRouter } from '../src/index.js';

if (process.argv[2] === 'zmtp') {
  const router = createRouter({ onMessage: (id, f) => router.send(id, f) });
  process.send!(await router.bind('tcp://127.0.0.1:0'));
} else {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  server.listen(0, '127.0.0.1', () =>
    process.send!(`tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`),
  );
}
