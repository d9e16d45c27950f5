// Run: pnpm --filter @xsmb/stream example
import { Code, createClient, createServer, defineService, RpcError } from '@xsmb/rpc';
import { bidiStream, clientStream, serverStream } from '../src/index.js';

export const Logs = defineService('demo.Logs', {
  tail: serverStream<{ count: number }, { n: number; line: string }>(),
  upload: clientStream<{ file: string; token: string }, Uint8Array, { bytes: number }>(),
  chat: bidiStream<{ room: string }, string, string>(),
});

const server = createServer();
server.add(Logs, {
  async *tail(req, ctx) {
    try {
      for (let n = 0; n < req.count; n++) yield { n, line: `line ${n}` };
      ctx.trailers['x-lines'] = String(req.count);
    } finally {
      // Runs when the stream ends, fails, or the client cancels (ctx.signal aborted).
    }
  },
  upload: {
    // Runs on the opening message before any chunk is accepted.
    authorize(open) {
      if (open.token !== 'let-me-in') throw new RpcError(Code.PERMISSION_DENIED, 'not allowed');
    },
    async handler(_open, chunks) {
      let bytes = 0;
      for await (const c of chunks) bytes += c.byteLength;
      return { bytes };
    },
  },
  async *chat(open, incoming) {
    for await (const text of incoming) yield `[${open.room}] ${text}`;
  },
});
const [endpoint] = await server.listen('tcp://127.0.0.1:0');

const logs = createClient(Logs, { endpoints: [endpoint] });
for await (const { n, line } of logs.tail({ count: 3 })) console.log(n, line);

const up = logs.upload({ file: 'a.log', token: 'let-me-in' });
await up.send(new Uint8Array(1024)); // waits while the server grants no credit
console.log(await up.close()); // { bytes: 1024 }

const chat = logs.chat({ room: 'ops' });
await chat.send('hello');
chat.close(); // half-close: the server may still answer
for await (const reply of chat) console.log(reply);

await logs.close();
await server.close();
