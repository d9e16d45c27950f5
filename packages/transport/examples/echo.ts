/**
 * Echo over @xsmb/transport: a server and a client in one process, with
 * CURVE encryption and an allow-list. Run with `pnpm example`.
 *
 * In your own code import from '@xsmb/transport'; this example imports the
 * sources so it runs without a build.
 */

import {
  createClientTransport,
  createServerTransport,
  generateKeyPair,
  TransportError,
} from '../src/index.js';

const serverKeys = generateKeyPair();
const clientKeys = generateKeyPair();

// Server: a ROUTER that only admits clientKeys.publicKey.
const server = createServerTransport({
  curve: serverKeys,
  allowedClientKeys: [clientKeys.publicKey],
});
const endpoint = await server.listen('tcp://127.0.0.1:0'); // the real port comes back
console.log(`server listening on ${endpoint}`);
server.on('connected', ({ peer }) => console.log(`server: peer ${JSON.stringify(peer)} connected`));

const serving = (async () => {
  for await (const { peer, message } of server) {
    // `message` is only valid until we yield: echo it right away.
    await server.send(peer, message);
  }
})();

// Client: one DEALER to that endpoint.
const client = createClientTransport(endpoint, {
  curve: { serverPublicKey: serverKeys.publicKey, ...clientKeys },
});
client.on('handshakeFailed', ({ reason }) => console.log(`client: ${reason}`));
await client.ready({ timeoutMs: 5000 });

const N = 10_000;
const started = performance.now();
const replies = (async () => {
  let n = 0;
  for await (const reply of client) {
    if (++n === N) return Buffer.from(reply).toString();
  }
  return undefined;
})();
for (let i = 0; i < N; i++) await client.send(Buffer.from(`hello ${i}`));
const last = await replies;
const ms = performance.now() - started;
console.log(`${N} echoes in ${ms.toFixed(0)} ms, last: ${JSON.stringify(last)}`);
console.log('client stats', client.stats());

// Errors are TransportErrors with a code.
try {
  await client.send(new Uint8Array(17 * 1024 * 1024));
} catch (error) {
  if (error instanceof TransportError) console.log(`oversize send: ${error.code}`);
}

await client.close();
await server.close();
await serving;
