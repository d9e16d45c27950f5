import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { createSub, createXPub } from '../src/index.js';

const res = new Resources();
afterEach(() => res.closeAll());
const zclose = (s: zmq.Socket) => ({ close: () => s.close() });

describe('XPUB/SUB interop with libzmq', () => {
  it('our XPUB ↔ libzmq SUB: subscriptions seen, prefix filtering at the publisher, unsubscribe', async () => {
    const xpub = res.add(createXPub());
    const ep = await xpub.bind('tcp://127.0.0.1:0');
    const events: string[] = [];
    xpub.on('subscribe', (p) => events.push(`+${Buffer.from(p).toString()}`));
    xpub.on('unsubscribe', (p) => events.push(`-${Buffer.from(p).toString()}`));
    const sub = new zmq.Subscriber({ linger: 0 });
    res.add(zclose(sub));
    sub.connect(ep);
    sub.subscribe('a.');
    sub.subscribe('b.');
    await waitFor(() => events.length === 2, 'two subscriptions');
    expect(events.sort()).toEqual(['+a.', '+b.']);
    for (let i = 0; i < 1000; i++) {
      xpub.send([Buffer.from(`a.${i}`), Buffer.from('x')]);
      xpub.send([Buffer.from(`c.${i}`)]);
    }
    xpub.send([Buffer.from('b.end')]);
    const got: string[] = [];
    for (;;) {
      const [t, body] = await sub.receive();
      got.push(t!.toString());
      if (t!.toString().startsWith('a.')) expect(body!.toString()).toBe('x');
      if (t!.toString() === 'b.end') break;
    }
    expect(got.length).toBe(1001);
    expect(got.every((t, i) => (i < 1000 ? t === `a.${i}` : t === 'b.end'))).toBe(true);
    sub.unsubscribe('a.');
    await waitFor(() => events.includes('-a.'), 'unsubscribe');
    sub.close();
    await waitFor(() => events.includes('-b.'), 'unsubscribe on disconnect');
  });

  it('libzmq XPUB ↔ our SUB: subscribe/unsubscribe reach libzmq, 100k messages in order, 1 MiB frame', async () => {
    const xpub = new zmq.XPublisher({ linger: 0, sendHighWaterMark: 0 });
    res.add(zclose(xpub));
    await xpub.bind('tcp://127.0.0.1:*');
    const got: string[] = [];
    let big: Uint8Array | undefined;
    const sub = res.add(
      createSub({
        onMessage: (f) => {
          if (f.length === 2) big = Buffer.from(f[1]!);
          else got.push(Buffer.from(f[0]!).toString());
        },
      }),
    );
    sub.connect(xpub.lastEndpoint!);
    sub.subscribe('t');
    const [s1] = await xpub.receive();
    expect([...s1!]).toEqual([1, ...Buffer.from('t')]);
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      await xpub.send(`t${i}`);
      await xpub.send(`u${i}`);
    }
    const payload = Buffer.alloc(1 << 20, 9);
    await xpub.send(['tbig', payload]);
    await waitFor(() => got.length === N && big !== undefined, `${N} messages`, 60_000);
    for (let i = 0; i < N; i++) if (got[i] !== `t${i}`) expect(got[i]).toBe(`t${i}`);
    expect(Buffer.compare(Buffer.from(big!), payload)).toBe(0);
    sub.unsubscribe('t');
    const [s2] = await xpub.receive();
    expect([...s2!]).toEqual([0, ...Buffer.from('t')]);
  }, 90_000);

  it('our SUB ↔ our XPUB over ipc, subscription sent to a connection made later', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/zmtp-`);
    const got: string[] = [];
    const sub = res.add(createSub({ onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) }));
    sub.subscribe('');
    const xpub = res.add(createXPub());
    let subs = 0;
    xpub.on('subscribe', () => subs++);
    const ep = await xpub.bind(`ipc://${dir}/p.sock`);
    sub.connect(ep);
    await waitFor(() => subs === 1, 'subscription');
    xpub.send([Buffer.from('hello')]);
    await waitFor(() => got.length === 1, 'message');
    expect(got).toEqual(['hello']);
  });
});

describe('SUB disconnect(endpoint)', () => {
  it('closes that connection and stops reconnecting to it; the other publisher continues', async () => {
    const got: string[] = [];
    const opts = { reconnectIntervalMs: 5, reconnectIntervalMaxMs: 5 };
    const sub = res.add(
      createSub({ ...opts, onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) }),
    );
    sub.subscribe('');
    const a = res.add(createXPub());
    const b = res.add(createXPub());
    let subsA = 0;
    let subsB = 0;
    a.on('subscribe', () => subsA++);
    b.on('subscribe', () => subsB++);
    const epA = await a.bind('tcp://127.0.0.1:0');
    const epB = await b.bind('tcp://127.0.0.1:0');
    sub.connect(epA);
    sub.connect(epB);
    await waitFor(() => subsA === 1 && subsB === 1, 'both subscribed');
    const gone: string[] = [];
    sub.on('disconnect', (peer, reason) => gone.push(`${peer.endpoint} ${reason}`));
    sub.disconnect(epA);
    expect(gone).toEqual([`${epA} closed`]);
    a.send([Buffer.from('from a')]);
    b.send([Buffer.from('from b')]);
    await waitFor(() => got.includes('from b'), 'message from b');
    // Restart A on its port, then B on its: the SUB reconnecting to B (same
    // backoff) shows a reconnect cycle passed; A must not have been dialled.
    await a.close();
    const a2 = res.add(createXPub());
    let a2Connects = 0;
    a2.on('connect', () => a2Connects++);
    await a2.bind(epA);
    await b.close();
    const b2 = res.add(createXPub());
    let subsB2 = 0;
    b2.on('subscribe', () => subsB2++);
    await b2.bind(epB);
    await waitFor(() => subsB2 === 1, 'resubscribed to the restarted b');
    expect(a2Connects).toBe(0);
    expect(got).toEqual(['from b']);
    expect(sub.stats().connections).toBe(1);
  });
});
