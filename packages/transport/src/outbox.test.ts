import { describe, expect, it } from 'vitest';
import { TransportError } from './errors.js';
import { Outbox } from './outbox.js';

const m = (n: number): Uint8Array => new Uint8Array([n]);

describe('Outbox', () => {
  it('is a FIFO that compacts and keeps order across many shifts', () => {
    const box = new Outbox();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 37; i++) box.push(m(next++ & 0xff));
      const take = Math.min(box.size, 29);
      for (let i = 0; i < take; i++) expect(box.items[box.head + i]![0]).toBe(expected++ & 0xff);
      box.shift(take);
    }
    expect(box.size).toBe(next - expected);
    expect(box.items.length).toBeLessThan(4096); // compacted, not grown without bound
  });

  it('admits waiters in arrival order up to the depth, and rejects the rest', async () => {
    const box = new Outbox();
    for (let i = 0; i < 2; i++) box.push(m(i));
    const waits = [box.wait(m(2)), box.wait(m(3)), box.wait(m(4))];
    expect(box.hasWaiters).toBe(true);
    box.shift(2);
    expect(box.admit(2)).toBe(2);
    await Promise.all(waits.slice(0, 2));
    expect([...box.items.slice(box.head)].map((x) => x[0])).toEqual([2, 3]);
    expect(box.rejectWaiters(new TransportError('CLOSED', 'closed'))).toBe(1);
    await expect(waits[2]).rejects.toMatchObject({ code: 'CLOSED' });
    expect(box.hasWaiters).toBe(false);
  });

  it('counts queued bytes through push, shift, admit and clear; admit stops at the byte bound', async () => {
    const box = new Outbox();
    box.push(new Uint8Array(10));
    box.pushTopic(m(1), new Uint8Array(20));
    expect(box.bytes).toBe(30);
    box.shift(1);
    expect(box.bytes).toBe(20);
    const waits = [box.wait(new Uint8Array(5)), box.wait(new Uint8Array(7))];
    expect(box.admit(100, 25)).toBe(1); // 20 + 5 reaches the bound: the second waits
    await waits[0];
    expect(box.bytes).toBe(25);
    box.shift(2);
    expect(box.bytes).toBe(0);
    expect(box.admit(100, 25)).toBe(1);
    expect(box.bytes).toBe(7);
    expect(box.clear()).toBe(1);
    expect(box.bytes).toBe(0);
  });

  it('clear() bumps the epoch and empties the queue', () => {
    const box = new Outbox();
    box.pushTopic(m(9), m(1));
    const epoch = box.epoch;
    expect(box.clear()).toBe(1);
    expect(box.epoch).toBe(epoch + 1);
    expect(box.size).toBe(0);
    expect(box.topics).toHaveLength(0);
  });
});
