import { describe, expect, it } from 'vitest';
import { FakeLink } from '../test/support/fake-link.js';
import { CreditSender } from './credit-sender.js';
import { Code, Kind, RpcError } from './rpc-kit.js';

/** Settles pending promise callbacks. */
const ticks = () => new Promise<void>((r) => setImmediate(r));

describe('CreditSender', () => {
  it('is not ready without credit, and refuses to send', () => {
    const credit = new CreditSender(new FakeLink());
    expect(credit.ready).toBe(false);
    expect(() => credit.send('x')).toThrow(RpcError);
  });

  it('spends one message and the encoded DATA length per send', () => {
    const link = new FakeLink(9);
    const credit = new CreditSender(link);
    credit.grant(2, 1000);
    expect(credit.send('a')).toBeUndefined();
    expect(credit.ready).toBe(true);
    credit.send({ b: 1 });
    expect(credit.ready).toBe(false);
    expect(link.of(Kind.DATA)).toEqual([
      [1, Kind.DATA, 9, 'a'],
      [1, Kind.DATA, 9, { b: 1 }],
    ]);
    expect(link.sent.map((s) => s.message)).toEqual(['a', { b: 1 }]);
  });

  it('counts bytes: a message larger than the byte credit passes alone, then it waits', () => {
    const link = new FakeLink();
    const credit = new CreditSender(link);
    credit.grant(10, 5);
    credit.send('x'.repeat(100));
    expect(credit.ready).toBe(false);
    // Grants add up: the byte credit is negative until enough comes back.
    credit.grant(0, (link.sent[0]?.size ?? 0) - 5);
    expect(credit.ready).toBe(false);
    credit.grant(0, 1);
    expect(credit.ready).toBe(true);
  });

  it('wait() resolves at once with credit, otherwise when a grant makes it ready', async () => {
    const credit = new CreditSender(new FakeLink());
    const order: string[] = [];
    const first = credit.wait().then(() => order.push('first'));
    const second = credit.wait().then(() => order.push('second'));
    credit.grant(0, 100); // bytes alone are not enough
    await ticks();
    expect(order).toEqual([]);
    credit.grant(1, 0);
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    await expect(credit.wait()).resolves.toBeUndefined();
  });

  it('fail() rejects current and later waits with the first error', async () => {
    const credit = new CreditSender(new FakeLink());
    const waiting = credit.wait();
    const cancelled = new RpcError(Code.CANCELLED, 'gone');
    credit.fail(cancelled);
    credit.fail(new RpcError(Code.INTERNAL, 'later'));
    await expect(waiting).rejects.toBe(cancelled);
    await expect(credit.wait()).rejects.toBe(cancelled);
  });

  it('returns the held promise when the connection is full', async () => {
    const link = new FakeLink();
    const credit = new CreditSender(link);
    credit.grant(5, 1000);
    link.full = true;
    const held = credit.send(1);
    expect(held).toBeInstanceOf(Promise);
    let admitted = false;
    void held?.then(() => {
      admitted = true;
    });
    await ticks();
    expect(admitted).toBe(false);
    link.admit();
    await held;
    expect(admitted).toBe(true);
  });
});
