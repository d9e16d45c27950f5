import { createMsgpackCodec } from '@xsmb/codec';
import { Code, createClient, defineService, RpcError, unary } from '@xsmb/rpc';
import { type Envelope, encodeCredit, encodeEnd, encodeResponse, Kind } from '@xsmb/rpc/kit';
import { createServerTransport } from '@xsmb/transport';
import { Resources } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { clientStream, serverStream } from '../src/index.js';

// A client whose contract disagrees with a protocol-1.0 server, which does
// not look at the REQUEST's kind: the client must notice on its own.
const Stale = defineService('old.Demo', {
  upload: unary<null, null>(),
  one: serverStream<null, null>(),
  ticks: clientStream<null, null, null>(),
});

const resources = new Resources();
afterEach(() => resources.closeAll());

/**
 * A raw server that answers every REQUEST as a 1.0 server whose method has
 * another kind would: CREDIT for a client stream (`upload`), RESPONSE for a
 * unary method (`one`), END for a server stream (`ticks`). It records the
 * kinds of the envelopes it receives.
 */
async function oldServer() {
  const codec = createMsgpackCodec();
  const transport = resources.add(createServerTransport());
  const endpoint = await transport.listen('tcp://127.0.0.1:0');
  const received: string[] = [];
  void (async () => {
    for await (const { peer, message } of transport) {
      const env = codec.decode(message) as Envelope;
      const id = env[2] as number;
      received.push(`${env[1]}`);
      if (env[1] !== Kind.REQUEST) continue;
      const path = env[3] as string;
      const answer = path.endsWith('/upload')
        ? encodeCredit(codec, id, 2048, 1 << 20)
        : path.endsWith('/one')
          ? encodeResponse(codec, id, undefined, null)
          : encodeEnd(codec, id, undefined);
      await transport.send(peer, answer).catch(() => {});
    }
  })().catch(() => {});
  const client = resources.add(createClient(Stale, { endpoints: [endpoint] }));
  return { client, received };
}

async function failure(p: Promise<unknown>): Promise<RpcError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RpcError);
  return e as RpcError;
}

describe('against a 1.0 server, the client fails a kind mismatch on the first telling envelope', () => {
  it('unary client receiving CREDIT: UNIMPLEMENTED and a CANCEL', { timeout: 10_000 }, async () => {
    const { client, received } = await oldServer();
    const e = await failure(client.upload(null));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(/old\.Demo\/upload .*stream.*called it as unary/);
    await expect.poll(() => received).toContain(`${Kind.CANCEL}`);
  });

  it('server-stream client receiving a RESPONSE: no empty success', {
    timeout: 10_000,
  }, async () => {
    const { client } = await oldServer();
    const e = await failure(
      (async () => {
        for await (const _ of client.one(null));
      })(),
    );
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(/called it as server-stream/);
  });

  it('client-stream client receiving END: UNIMPLEMENTED', { timeout: 10_000 }, async () => {
    const { client } = await oldServer();
    const e = await failure(client.ticks(null).close());
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.message).toMatch(/called it as client-stream/);
  });
});
