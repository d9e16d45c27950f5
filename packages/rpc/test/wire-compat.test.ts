import { createMsgpackCodec } from '@xsmb/codec';
import { createClientTransport } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Code,
  createClient,
  createServer,
  defineService,
  MetadataLimits,
  RpcError,
  type Server,
  unary,
} from '../src/index.js';

/** Hand-made envelopes, byte for byte as in test/vectors/forward-compat.json. */
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const codec = createMsgpackCodec();

const Wire = defineService('test.Wire', {
  echo: unary<string, string>(),
  slow: unary<number, string>(),
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function rawPeer() {
  const server: Server = createServer({});
  server.add(Wire, {
    echo: (s) => s,
    slow: (ms) => new Promise((r) => setTimeout(() => r('slow done'), ms)),
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  closers.push(() => server.close({ graceMs: 0 }));
  // A plain DEALER (the transport's client, no rpc engine): we write the envelopes.
  const dealer = createClientTransport(endpoint as string);
  closers.push(() => dealer.close());
  await dealer.ready({ timeoutMs: 10_000 });
  const it = dealer[Symbol.asyncIterator]();
  const read = async () => {
    const { value } = await it.next();
    return codec.decode(value as Uint8Array) as unknown[];
  };
  return { server, dealer, read };
}

describe('forward-compatible envelope rule on the wire (ignore and count)', () => {
  it('ignores unknown kinds, unknown call ids, ids outside uint32 and DATA on a unary call; serves extra trailing elements', async () => {
    const { server, dealer, read } = await rawPeer();
    await dealer.send(hex('94010905a6667574757265')); // unknown kind 9
    await dealer.send(hex('9501074d0164')); // CREDIT for unknown call 77
    await dealer.send(hex('970101cf0000000100000000ae746573742e576972652f6563686f00c0a178')); // id 2^32
    // REQUEST id 1 with an extra trailing element.
    await dealer.send(hex('98010101ae746573742e576972652f6563686f00c0a26869a6667574757265'));
    // A slow unary call (id 2), then DATA, END and CREDIT for it: misplaced on a unary call.
    await dealer.send(codec.encode([1, 1, 2, 'test.Wire/slow', 0, null, 50]));
    await dealer.send(codec.encode([1, 5, 2, 'stray']));
    await dealer.send(codec.encode([1, 6, 2, null]));
    await dealer.send(codec.encode([1, 7, 2, 1, 100]));
    await dealer.send(codec.encode([1, 1, 3, 'test.Wire/echo', 0, null, 'last']));
    // Every answer, in order: nothing for the ignored envelopes, the calls unharmed.
    const answers = [await read(), await read(), await read()];
    expect(answers).toEqual([
      [1, 2, 1, null, 'hi'],
      [1, 2, 3, null, 'last'],
      [1, 2, 2, null, 'slow done'],
    ]);
    const stats = server.stats();
    expect(stats.ignoredEnvelopes).toBe(6);
    expect(stats.protocolErrors).toBe(0);
  });
});

describe('metadata limits', () => {
  const many = Object.fromEntries(
    Array.from({ length: MetadataLimits.MAX_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v']),
  );
  const big = { big: 'x'.repeat(MetadataLimits.MAX_TOTAL_BYTES) };
  const longKey = { ['k'.repeat(MetadataLimits.MAX_KEY_LENGTH + 1)]: 'v' };

  it('refuses on receive with RESOURCE_EXHAUSTED naming the limit', async () => {
    const { dealer, read, server } = await rawPeer();
    let id = 10;
    for (const [md, limit] of [
      [many, 'MAX_ENTRIES'],
      [big, 'MAX_TOTAL_BYTES'],
      [longKey, 'MAX_KEY_LENGTH'],
    ] as const) {
      await dealer.send(codec.encode([1, 1, ++id, 'test.Wire/echo', 0, md, 'x']));
      const answer = await read();
      expect(answer.slice(0, 4)).toEqual([1, 3, id, Code.RESOURCE_EXHAUSTED]);
      expect(answer[4]).toContain(limit);
    }
    await dealer.send(codec.encode([1, 1, 20, 'test.Wire/echo', 0, { 'Bad-Key': 'v' }, 'x']));
    expect((await read()).slice(0, 4)).toEqual([1, 3, 20, Code.INVALID_ARGUMENT]);
    expect(server.stats().started).toBe(0);
  });

  it('refuses on send with a typed error before anything is sent', async () => {
    const { server } = await rawPeer();
    const client = createClient(Wire, { endpoints: server.endpoints });
    closers.push(() => client.close());
    for (const md of [many, big, longKey]) {
      const err = await client.echo('x', { metadata: md }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    }
    await expect(client.echo('ok')).resolves.toBe('ok');
    expect(server.stats().started).toBe(1);
  });
});

describe('value model on the wire', () => {
  it('renames the key __proto__ to __proto_ (never replaces a prototype)', async () => {
    const { dealer, read } = await rawPeer();
    // REQUEST [1,1,1,"test.Wire/echo",0,nil,{"__proto__":1}], hand-made.
    await dealer.send(hex('97010101ae746573742e576972652f6563686f00c081a95f5f70726f746f5f5f01'));
    const answer = await read();
    expect(answer).toEqual([1, 2, 1, null, { __proto_: 1 }]);
    expect(Object.getPrototypeOf(answer[4])).toBe(Object.prototype);
  });

  it('answers a payload with an extension other than the timestamp with INVALID_ARGUMENT', async () => {
    const { dealer, read } = await rawPeer();
    // REQUEST [1,1,2,"test.Wire/echo",0,nil,ext(5, 0x01)]
    await dealer.send(hex('97010102ae746573742e576972652f6563686f00c0d40501'));
    const answer = await read();
    expect(answer.slice(0, 4)).toEqual([1, 3, 2, Code.INVALID_ARGUMENT]);
  });
});
