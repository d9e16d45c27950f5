import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { createClientTransport, createServerTransport, TransportError } from '../src/index.js';
import { bindAddress, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

/** A raw zeromq.js DEALER, to send what our transport never would. */
function rawDealer(endpoint: string): Dealer {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(endpoint);
  resources.add(dealer);
  return dealer;
}

describe('limits and malformed input', () => {
  it('a send above maxMessageBytes rejects TOO_LARGE at the sender', async () => {
    const client = resources.add(
      createClientTransport(bindAddress('inproc'), { maxMessageBytes: 1024 }),
    );
    await expect(client.send(new Uint8Array(1024))).resolves.toBeUndefined();
    const error = await client.send(new Uint8Array(1025)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('TOO_LARGE');
    const server = resources.add(createServerTransport({ maxMessageBytes: 10 }));
    await server.listen(bindAddress('inproc'));
    await expect(server.send('x', new Uint8Array(11))).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('an oversize frame from a raw peer does not crash the server; other peers keep being served', async () => {
    const server = resources.add(createServerTransport({ maxMessageBytes: 1024 }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const good = resources.add(createClientTransport(endpoint, { maxMessageBytes: 1024 }));
    await good.ready({ timeoutMs: 10_000 });

    const disconnects: string[] = [];
    server.on('disconnected', (e) => disconnects.push(e.peer ?? ''));
    const hostile = rawDealer(endpoint);
    // Declares and sends a 64 KiB frame: libzmq (ZMQ_MAXMSGSIZE) drops the connection.
    await hostile.send([Buffer.from([1, 0, 0, 0xff, 0xfb]), Buffer.alloc(65_536)]);
    await hostile.send(Buffer.alloc(1 << 20, 1));

    const served = (async () => {
      for await (const { peer, message } of server) await server.send(peer, message);
    })();
    void served;
    for (let i = 0; i < 3; i++) {
      await good.send(Buffer.from(`ok ${i}`));
      const { value } = await within(good[Symbol.asyncIterator]().next(), 10_000, 'echo');
      expect(Buffer.from(value!).toString()).toBe(`ok ${i}`);
    }
    expect(server.stats().messagesIn).toBe(3);
    // libzmq dropped the hostile connection (reported through ZMQ_ROUTER_NOTIFY).
    await waitFor(() => disconnects.length === 1, 'the hostile peer to be disconnected');
    expect(server.stats().peers).toBe(1);
  });

  it('malformed frames are counted as drops with a reason and the server keeps working', async () => {
    const server = resources.add(createServerTransport({ maxMessageBytes: 1000 }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const reasons: string[] = [];
    server.on('dropped', (e) => reasons.push(e.reason));
    const raw = rawDealer(endpoint);
    const bad: Array<Array<Buffer>> = [
      [Buffer.from([0x07, 0, 0, 0, 1, 0x61])], // unknown tag
      [Buffer.from([0x01])], // burst without entries
      [Buffer.from([0x01, 0, 0, 0])], // truncated length
      [Buffer.from([0x01, 0, 0, 0, 9, 0x61])], // entry longer than the frame
      [Buffer.from([0x01, 0, 0, 0, 1, 0x61, 0])], // trailing byte after the last entry
      [Buffer.from([0x01, 0, 0, 0x03, 0xe9]), Buffer.alloc(0)], // extra frame
      [Buffer.from([0x01, 0, 0, 0x03, 0xe9])], // declares an entry of 1001 bytes > maxMessageBytes
      [Buffer.from([0x02])], // large tag without the message frame
      [Buffer.from([0x02]), Buffer.from('a'), Buffer.from('b')], // large with 3 frames
      [Buffer.from([0x02, 0x00]), Buffer.from('a')], // large tag frame too long
    ];
    for (const frames of bad) await raw.send(frames);
    // Then a valid burst from the same raw peer: it still gets through and is answered.
    await raw.send(Buffer.from([0x01, 0, 0, 0, 2, 0x68, 0x69]));

    const it = server[Symbol.asyncIterator]();
    const { value } = await within(it.next(), 10_000, 'the valid message');
    expect(Buffer.from(value!.message).toString()).toBe('hi');
    expect(server.stats().drops).toBe(bad.length);
    expect(reasons).toHaveLength(bad.length);
    expect(reasons[0]).toMatch(/unknown framing tag 0x07/);
    expect(reasons[1]).toMatch(/without entries/);
    expect(reasons[2]).toMatch(/truncated/);
    expect(reasons[3]).toMatch(/truncated/);
    expect(reasons[5]).toMatch(/2 frames/);
    expect(reasons[6]).toMatch(/above maxMessageBytes/);

    await server.send(value!.peer, Buffer.from('pong'));
    const reply = await within(raw.receive(), 10_000, 'reply to the raw peer');
    expect(reply).toHaveLength(1);
    expect([...reply[0]!]).toEqual([0x01, 0, 0, 0, 4, ...Buffer.from('pong')]);
    await waitFor(() => server.stats().peers === 1, 'one peer');
  });
});
