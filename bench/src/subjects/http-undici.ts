/**
 * Peer: REST the usual Node way — node:http server, undici Pool client,
 * JSON bodies. One keep-alive connection per call in flight (HTTP/1.1, no
 * pipelining). Unary only: streams are not what this stack is used for.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { withTimeout } from '../harness/time.js';
import type { EchoMessage } from '../payload.js';
import type { BenchHandlers, ConnectOptions, Served, Subject } from '../types.js';

// Room for the 1 MiB message of unary-1mib plus its JSON around it.
const MAX_BODY_BYTES = 4 << 20;

async function serve(handlers: BenchHandlers): Promise<Served> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let body: string;
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EchoMessage;
        body = JSON.stringify(handlers.echo(request));
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  // Longer than any workload's pause, so no connection is dropped mid-run.
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      server.closeAllConnections();
      await withTimeout(new Promise((resolve) => server.close(resolve)), 1000, 'http close');
    },
  };
}

async function connect(endpoint: string, options: ConnectOptions) {
  const pool = new Pool(endpoint, { connections: options.maxInFlight, pipelining: 1 });
  return {
    async unary(request: EchoMessage): Promise<unknown> {
      const { statusCode, body } = await pool.request({
        path: '/echo',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (statusCode !== 200) {
        await body.dump();
        throw new Error(`HTTP ${statusCode}`);
      }
      return body.json();
    },
    async close() {
      await withTimeout(pool.close(), 1000, 'pool close').catch(() => pool.destroy());
    },
  };
}

/** http-undici: node:http + undici Pool, JSON bodies, unary only. */
export const subject: Subject = {
  name: 'http-undici',
  kind: 'peer',
  description:
    'node:http server + undici Pool (one keep-alive connection per call in flight), JSON bodies; unary only',
  workloads: {
    'unary-latency': { serve, connect },
    'unary-throughput': { serve, connect },
    'unary-1mib': { serve, connect },
  },
};
