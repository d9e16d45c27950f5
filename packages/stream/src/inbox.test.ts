import { describe, expect, it } from 'vitest';
import { FakeLink } from '../test/support/fake-link.js';
import { CreditReceiver } from './credit-receiver.js';
import { Inbox } from './inbox.js';
import { Code, Kind, RpcError } from './rpc-kit.js';

function setup(windowMessages = 4, windowBytes = 1 << 20) {
  const link = new FakeLink();
  const credit = new CreditReceiver({ windowMessages, windowBytes }, 'server');
  let returned = 0;
  const inbox = new Inbox<number>({ credit, onReturn: () => void returned++ });
  credit.open(link);
  /** CREDIT grants after the first window, as [messages, bytes]. */
  const regrants = () =>
    link
      .of(Kind.CREDIT)
      .slice(1)
      .map((e) => [e[3], e[4]]);
  return { link, credit, inbox, regrants, returned: () => returned };
}

/** Reads `n` values. */
async function take(inbox: Inbox<number>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await inbox.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('Inbox', () => {
  it('is bounded by its credit: holds a window, refuses one more with RESOURCE_EXHAUSTED', () => {
    const { inbox } = setup(4);
    for (let i = 0; i < 4; i++) expect(inbox.push(i, 10)).toBeUndefined();
    expect(inbox.pending).toBe(4);
    const overrun = inbox.push(4, 10);
    expect(overrun).toBeInstanceOf(RpcError);
    expect(overrun?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(inbox.pending).toBe(4);
    expect(inbox.received).toBe(4);
  });

  it('delivers in order, to a waiting reader at once or from the buffer', async () => {
    const { inbox } = setup(8);
    const first = inbox.next();
    inbox.push(0, 1);
    await expect(first).resolves.toEqual({ value: 0, done: false });
    for (let i = 1; i < 6; i++) inbox.push(i, 1);
    await expect(take(inbox, 5)).resolves.toEqual([1, 2, 3, 4, 5]);
  });

  it('backpressure: grants back only what the consumer read, at half a window', async () => {
    const { inbox, regrants } = setup(4);
    for (let i = 0; i < 4; i++) inbox.push(i, 10);
    expect(regrants()).toEqual([]);
    await take(inbox, 1);
    expect(regrants()).toEqual([]);
    await take(inbox, 1);
    expect(regrants()).toEqual([[2, 20]]);
    // The grant is new room: two more fit, a third does not.
    expect(inbox.push(4, 10)).toBeUndefined();
    expect(inbox.push(5, 10)).toBeUndefined();
    expect(inbox.push(6, 10)?.code).toBe(Code.RESOURCE_EXHAUSTED);
    await expect(take(inbox, 4)).resolves.toEqual([2, 3, 4, 5]);
  });

  it('a message read straight by a waiting reader counts as consumed', async () => {
    const { inbox, regrants } = setup(2);
    const a = inbox.next();
    inbox.push(1, 5);
    await a;
    expect(regrants()).toEqual([[1, 5]]);
  });

  it('end(): buffered messages are still read, then done; later pushes are ignored', async () => {
    const { inbox, regrants } = setup(4);
    inbox.push(1, 1);
    inbox.push(2, 1);
    inbox.end();
    expect(inbox.closed).toBe(true);
    expect(inbox.push(3, 1)).toBeUndefined();
    await expect(take(inbox, 5)).resolves.toEqual([1, 2]);
    await expect(inbox.next()).resolves.toEqual({ value: undefined, done: true });
    // Nothing more will come: no grant for what was read after the end.
    expect(regrants()).toEqual([]);
  });

  it('end() wakes a waiting reader with done', async () => {
    const { inbox } = setup();
    const waiting = inbox.next();
    inbox.end();
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
  });

  it('fail(): the waiting and later reads reject, buffered messages are dropped', async () => {
    const { inbox } = setup();
    const error = new RpcError(Code.DATA_LOSS, 'lost');
    const waiting = inbox.next();
    inbox.fail(error);
    await expect(waiting).rejects.toBe(error);
    const other = setup();
    other.inbox.push(1, 1);
    other.inbox.fail(error);
    expect(other.inbox.pending).toBe(0);
    await expect(other.inbox.next()).rejects.toBe(error);
    expect(other.inbox.push(2, 1)).toBeUndefined();
  });

  it('return() (the consumer stops early) drops the buffer, tells the owner once, grants no more', async () => {
    const { inbox, regrants, returned } = setup(4);
    inbox.push(1, 1);
    inbox.push(2, 1);
    await expect(inbox.return()).resolves.toEqual({ value: undefined, done: true });
    await inbox.return();
    expect(returned()).toBe(1);
    expect(inbox.pending).toBe(0);
    await expect(inbox.next()).resolves.toEqual({ value: undefined, done: true });
    expect(regrants()).toEqual([]);
  });

  it('breaking out of for-await calls return()', async () => {
    const { inbox, returned } = setup();
    inbox.push(1, 1);
    inbox.push(2, 1);
    for await (const v of inbox) if (v === 1) break;
    expect(returned()).toBe(1);
  });

  it('a message still being validated (a promise) is delivered once it settles, its rejection as the error', async () => {
    const { inbox } = setup();
    inbox.push(Promise.resolve(5), 1);
    await expect(inbox.next()).resolves.toEqual({ value: 5, done: false });
    const bad = Promise.reject(new RpcError(Code.INVALID_ARGUMENT, 'bad'));
    bad.catch(() => {});
    inbox.push(bad, 1);
    await expect(inbox.next()).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
  });

  it('keeps order across many messages read slower than they arrive', async () => {
    const { inbox } = setup(4096);
    const got: number[] = [];
    for (let i = 0; i < 3000; i++) {
      inbox.push(i, 1);
      if (i % 3 === 0) got.push(...(await take(inbox, 1)));
    }
    inbox.end();
    for await (const v of inbox) got.push(v);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
