// Type-level tests for the stream kinds: checked by `pnpm typecheck` (tsc).
import { type CallContext, createClient, createServer, defineService } from '@xsmb/rpc';
import { z } from 'zod';
import { bidiStream, clientStream, serverStream } from './kinds.js';

const Greeter = defineService('demo.Greeter', {
  ticks: serverStream<{ count: number }, { n: number }>(),
  upload: clientStream<{ file: string }, Uint8Array, { bytes: number }>(),
  chat: bidiStream<{ room: string }, string, { from: string; text: string }>(),
  parsed: serverStream({
    input: z.object({ n: z.string().transform(Number) }),
    output: z.object({ ok: z.boolean() }),
  }),
});

const server = createServer();
server.add(Greeter, {
  async *ticks(req, ctx: CallContext) {
    for (let n = 0; n < req.count; n++) yield { n };
    ctx.trailers.done = 'yes';
  },
  async upload(open, chunks) {
    let bytes = open.file.length;
    for await (const c of chunks) bytes += c.byteLength;
    return { bytes };
  },
  chat: {
    authorize(open) {
      if (open.room === '') throw new Error('no room');
    },
    async *handler(open, incoming) {
      for await (const text of incoming) yield { from: open.room, text };
    },
  },
  async *parsed(req) {
    const n: number = req.n;
    yield { ok: n > 0 };
  },
});

server.add(Greeter, {
  // @ts-expect-error a server stream must yield the declared message type
  async *ticks() {
    yield { n: 'one' };
  },
  async upload() {
    return { bytes: 0 };
  },
  async *chat() {},
  async *parsed() {},
});

// @ts-expect-error every method of the contract needs a handler
server.add(Greeter, { async *ticks() {} });

async function clientSide() {
  const client = createClient(Greeter, { endpoints: ['tcp://127.0.0.1:1'] });
  for await (const t of client.ticks({ count: 3 })) {
    const n: number = t.n;
    void n;
  }
  // @ts-expect-error the request is type-checked
  client.ticks({ count: '3' });
  const up = client.upload({ file: 'a.log' });
  await up.send(new Uint8Array(4));
  // @ts-expect-error chunks are type-checked
  await up.send('text');
  const result: { bytes: number } = await up.close();
  const chat = client.chat({ room: 'r' });
  await chat.send('hi');
  for await (const m of chat) {
    const text: string = m.text;
    void text;
  }
  for await (const p of client.parsed({ n: '5' })) {
    const ok: boolean = p.ok;
    void ok;
  }
  return result;
}
void clientSide;
