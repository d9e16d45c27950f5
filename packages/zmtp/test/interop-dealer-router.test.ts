import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { createDealer, createRouter } from '../src/index.js';

const res = new Resources();
afterEach(() => res.closeAll());

function zclose(s: zmq.Socket): { close(): void } {
  return { close: () => s.close() };
}

describe('DEALER/ROUTER interop with libzmq (zeromq.js as oracle)', () => {
  it('our DEALER ↔ libzmq ROUTER: 100k messages in order, multipart, a 1 MiB frame', async () => {
    // mandatory: libzmq's ROUTER would otherwise drop echoes when its pipe to us is full.
    const router = new zmq.Router({ linger: 0, mandatory: true });
    res.add(zclose(router));
    await router.bind('tcp://127.0.0.1:*');
    const received: string[] = [];
    const dealer = res.add(
      createDealer({ onMessage: (f) => received.push(Buffer.from(f[0]!).toString()) }),
    );
    dealer.connect(router.lastEndpoint!);
    // Echo loop on the libzmq side.
    const echo = (async () => {
      for await (const [id, ...rest] of router) await router.send([id!, ...rest]);
    })().catch(() => {});
    const N = 100_000;
    let sent = 0;
    const pump = (): void => {
      while (sent < N && dealer.send([Buffer.from(String(sent))])) sent++;
    };
    dealer.on('drain', pump);
    pump();
    await waitFor(() => received.length === N, `${N} echoes`, 60_000);
    for (let i = 0; i < N; i++) if (received[i] !== String(i)) expect(received[i]).toBe(String(i));

    const got: Uint8Array[][] = [];
    dealer.onMessage = (f) => got.push(f.map((x) => Buffer.from(x)));
    const big = Buffer.alloc(1024 * 1024 + 3);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    expect(dealer.send([Buffer.from('a'), Buffer.alloc(0), big])).toBe(true);
    await waitFor(() => got.length === 1, 'multipart echo');
    expect(got[0]!.length).toBe(3);
    expect(Buffer.from(got[0]![0]!).toString()).toBe('a');
    expect(got[0]![1]!.length).toBe(0);
    expect(Buffer.compare(Buffer.from(got[0]![2]!), big)).toBe(0);
    router.close();
    await echo;
  }, 90_000);

  it('libzmq DEALER ↔ our ROUTER: routing ids, identity, connect/disconnect events', async () => {
    const router = res.add(createRouter());
    const ep = await router.bind('tcp://127.0.0.1:0');
    expect(ep).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const connects: Buffer[] = [];
    const disconnects: string[] = [];
    router.on('connect', (p) => connects.push(Buffer.from(p.routingId!)));
    router.on('disconnect', (_p, reason) => disconnects.push(reason));
    router.onMessage = (id, frames) => {
      router.send(id, [Buffer.concat([Buffer.from('re:'), frames[0]!]), ...frames.slice(1)]);
    };
    const d1 = new zmq.Dealer({ linger: 0, routingId: 'alice' });
    const d2 = new zmq.Dealer({ linger: 0 });
    res.add(zclose(d1));
    res.add(zclose(d2));
    d1.connect(ep);
    d2.connect(ep);
    await d1.send(['hello', 'x']);
    await d2.send('world');
    const [a, ax] = await d1.receive();
    const [b] = await d2.receive();
    expect(a!.toString()).toBe('re:hello');
    expect(ax!.toString()).toBe('x');
    expect(b!.toString()).toBe('re:world');
    await waitFor(() => connects.length === 2, 'two connects');
    const ids = connects.map((c) => c.toString('latin1'));
    expect(ids).toContain('alice');
    const gen = connects.find((c) => c.toString('latin1') !== 'alice')!;
    expect(gen.length).toBe(5);
    expect(gen[0]).toBe(0);
    for (let i = 0; i < 20_000; i++) await d2.send(String(i));
    let n = 0;
    while (n < 20_000) {
      const [m] = await d2.receive();
      expect(m!.toString()).toBe(`re:${n}`);
      n++;
    }
    d1.close();
    await waitFor(() => disconnects.length === 1, 'disconnect event');
    expect(disconnects[0]).toBe('disconnected');
    expect(router.stats().connections).toBe(1);
  }, 60_000);

  it('mandatory ROUTER: unknown id throws UNREACHABLE', async () => {
    const router = res.add(createRouter({ mandatory: true }));
    await router.bind('tcp://127.0.0.1:0');
    expect(() => router.send(Buffer.from('nobody'), [Buffer.from('x')])).toThrow(
      expect.objectContaining({ code: 'UNREACHABLE' }),
    );
    const loose = res.add(createRouter());
    expect(loose.send(Buffer.from('nobody'), [Buffer.from('x')])).toBe(true);
    expect(loose.stats().drops.unroutable).toBe(1);
  });

  it('our DEALER ↔ our ROUTER over ipc', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/zmtp-`);
    const router = res.add(createRouter({ onMessage: (id, f) => router.send(id, f) }));
    const ep = await router.bind(`ipc://${dir}/s.sock`);
    const got: string[] = [];
    const dealer = res.add(
      createDealer({ identity: 'me', onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) }),
    );
    dealer.connect(ep);
    dealer.send([Buffer.from('ping')]);
    await waitFor(() => got.length === 1, 'ipc echo');
    expect(got).toEqual(['ping']);
  });
});
