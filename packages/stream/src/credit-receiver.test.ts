import { describe, expect, it } from 'vitest';
import { FakeLink } from '../test/support/fake-link.js';
import { CreditReceiver } from './credit-receiver.js';
import { Code, Kind, RpcError } from './rpc-kit.js';

const window = { windowMessages: 4, windowBytes: 1000 };

describe('CreditReceiver', () => {
  it('grants nothing before open(), then the whole window once, as a CREDIT envelope', () => {
    const link = new FakeLink(42);
    const credit = new CreditReceiver(window, 'client');
    expect(credit.opened).toBe(false);
    expect(credit.receive(10)).toBeInstanceOf(RpcError);
    credit.open(link);
    credit.open(link);
    expect(credit.opened).toBe(true);
    expect(link.of(Kind.CREDIT)).toEqual([[1, Kind.CREDIT, 42, 4, 1000]]);
    expect(link.sent[0]?.message).toEqual({ messages: 4, bytes: 1000 });
  });

  it('counts every DATA against the grant: one past the window is RESOURCE_EXHAUSTED, naming the peer', () => {
    const credit = new CreditReceiver(window, 'server');
    credit.open(new FakeLink());
    for (let i = 0; i < 4; i++) expect(credit.receive(10)).toBeUndefined();
    const overrun = credit.receive(10);
    expect(overrun).toBeInstanceOf(RpcError);
    expect(overrun?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(overrun?.message).toContain('the server sent beyond its credit');
  });

  it('byte credit: a message larger than what is left passes while bytes are above zero, none after', () => {
    const credit = new CreditReceiver(window, 'client');
    credit.open(new FakeLink());
    expect(credit.receive(999)).toBeUndefined();
    expect(credit.receive(5000)).toBeUndefined(); // 1 byte left: passes, alone
    expect(credit.receive(1)?.code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it('grants back what was consumed once half a window was (2 × consumed ≥ window), rounding up', () => {
    const link = new FakeLink();
    const credit = new CreditReceiver({ windowMessages: 3, windowBytes: 1 << 20 }, 'client');
    credit.open(link);
    for (let i = 0; i < 3; i++) credit.receive(10);
    expect(credit.consumed(10)).toBe(false);
    expect(credit.consumed(10)).toBe(true);
    expect(link.of(Kind.CREDIT)).toEqual([
      [1, Kind.CREDIT, 7, 3, 1 << 20],
      [1, Kind.CREDIT, 7, 2, 20],
    ]);
    // The grant is credit: two more messages are accepted, a third is not.
    expect(credit.receive(10)).toBeUndefined();
    expect(credit.receive(10)).toBeUndefined();
    expect(credit.receive(10)?.code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it('grants at half the byte window too', () => {
    const link = new FakeLink();
    const credit = new CreditReceiver(window, 'client');
    credit.open(link);
    credit.receive(600);
    expect(credit.consumed(600)).toBe(true);
    expect(link.of(Kind.CREDIT).at(-1)).toEqual([1, Kind.CREDIT, 7, 1, 600]);
  });

  it('grants nothing after close()', () => {
    const link = new FakeLink();
    const credit = new CreditReceiver(window, 'client');
    credit.open(link);
    credit.receive(1);
    credit.receive(1);
    credit.close();
    credit.consumed(1);
    expect(credit.consumed(1)).toBe(false);
    expect(link.of(Kind.CREDIT)).toHaveLength(1);
    const closed = new CreditReceiver(window, 'client');
    closed.close();
    closed.open(link);
    expect(link.of(Kind.CREDIT)).toHaveLength(1);
  });
});
