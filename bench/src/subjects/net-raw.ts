/**
 * Peer: raw node:net, u32 length prefix + msgpackr envelopes — about the
 * practical limit for Node on one TCP connection. No pub/sub (no broker).
 */
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { withTimeout } from '../harness/time.js';
import type { BenchHandlers, Served } from '../types.js';
import { reportFatal } from './lib/fatal.js';
import { FrameReader, FrameWriter } from './lib/net-framing.js';
import { type RawPeer, RawRpcClient, RawRpcServer } from './lib/raw-rpc.js';
import { rpcPeerSubject } from './lib/rpc-workloads.js';

async function serve(handlers: BenchHandlers): Promise<Served> {
  const core = new RawRpcServer(handlers, reportFatal);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const writer = new FrameWriter(socket);
    const peer: RawPeer = { send: (bytes) => writer.write(bytes), uploads: new Map() };
    new FrameReader(
      socket,
      (frame) => {
        core.handle(peer, frame);
        return undefined;
      },
      reportFatal,
    );
    // A client going away is not a server failure.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `127.0.0.1:${address.port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await withTimeout(new Promise((resolve) => server.close(resolve)), 1000, 'net close');
    },
  };
}

async function connect(endpoint: string) {
  const [host, port] = endpoint.split(':');
  const socket = netConnect({ host: host ?? '127.0.0.1', port: Number(port) });
  await withTimeout(once(socket, 'connect'), 5000, 'net connect');
  socket.setNoDelay(true);
  const writer = new FrameWriter(socket);
  const core = new RawRpcClient((bytes) => writer.write(bytes));
  new FrameReader(
    socket,
    (frame) => core.handle(frame),
    (error) => core.fail(error),
  );
  socket.on('error', (error) => core.fail(error));
  socket.on('close', () => core.fail(new Error('connection closed')));
  return {
    unary: core.unary.bind(core),
    serverStream: core.serverStream.bind(core),
    clientStream: core.clientStream.bind(core),
    async close() {
      socket.end();
      await withTimeout(once(socket, 'close'), 1000, 'net close').catch(() => socket.destroy());
    },
  };
}

/** net-raw: node:net, u32 BE length prefix + msgpackr envelopes, writes coalesced per tick. */
export const subject = rpcPeerSubject(
  'net-raw',
  'node:net, one TCP connection, u32 BE length prefix + msgpackr envelopes, writes corked per tick',
  { serve, connect },
);
