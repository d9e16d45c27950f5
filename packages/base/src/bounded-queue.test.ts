import { describe, expect, it } from 'vitest';
import { BoundedQueue, checkOverflowPolicy } from './bounded-queue.js';

const DONE = { done: true, value: undefined };

async function take<T>(q: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const v of q) {
    out.push(v);
    if (out.length === n) break;
  }
  return out;
}

describe('BoundedQueue', () => {
  it('delivers in order, buffered and to a waiting consumer', async () => {
    const q = new BoundedQueue<number>({ capacity: 4 });
    q.push(1);
    q.push(2);
    expect(q.length).toBe(2);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    expect(await q.next()).toEqual({ done: false, value: 2 });
    const waiting = q.next();
    expect(q.push(3)).toBe(true);
    // Handed over directly: never buffered.
    expect(q.length).toBe(0);
    expect(await waiting).toEqual({ done: false, value: 3 });
    expect(q.delivered).toBe(3);
  });

  it('serves concurrent next() calls in call order', async () => {
    const q = new BoundedQueue<string>({ capacity: 2 });
    const a = q.next();
    const b = q.next();
    q.push('x');
    q.push('y');
    expect(await a).toEqual({ done: false, value: 'x' });
    expect(await b).toEqual({ done: false, value: 'y' });
  });

  it("'wait' takes the item, asks the producer to pause, and releases it at resumeAt", async () => {
    const q = new BoundedQueue<number>({ capacity: 4, whenFull: 'wait' });
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, true]);
    expect(q.push(4)).toBe(false);
    expect(q.full).toBe(true);
    // Over the bound by the producer's choice: still taken, nothing lost.
    expect(q.push(5)).toBe(false);
    let released = false;
    const space = q.space().then(() => {
      released = true;
    });
    await q.next(); // 4 left
    await q.next(); // 3 left
    await Promise.resolve();
    expect(released).toBe(false);
    await q.next(); // 2 left = resumeAt
    await space;
    expect(released).toBe(true);
    expect(q.full).toBe(false);
    expect(await take(q, 2)).toEqual([4, 5]);
    expect(q.dropped).toBe(0);
  });

  it("'drop-oldest' and 'drop-newest' keep the bound and count what they drop", async () => {
    const oldest = new BoundedQueue<number>({ capacity: 2, whenFull: 'drop-oldest' });
    const newest = new BoundedQueue<number>({ capacity: 2, whenFull: 'drop-newest' });
    for (let i = 1; i <= 5; i++) {
      expect(oldest.push(i)).toBe(true);
      expect(newest.push(i)).toBe(true);
    }
    expect(oldest.dropped).toBe(3);
    expect(newest.dropped).toBe(3);
    expect(oldest.full).toBe(false);
    expect(await take(oldest, 2)).toEqual([4, 5]);
    expect(await take(newest, 2)).toEqual([1, 2]);
  });

  it('end() lets the consumer drain, then ends the iteration', async () => {
    const q = new BoundedQueue<number>({ capacity: 8 });
    q.push(1);
    q.push(2);
    q.end();
    expect(q.ended).toBe(true);
    expect(q.push(3)).toBe(true);
    const seen: number[] = [];
    for await (const v of q) seen.push(v);
    expect(seen).toEqual([1, 2]);
    expect(await q.next()).toEqual(DONE);
  });

  it.each(['end', 'stop'] as const)('%s() resolves a waiting consumer as done', async (how) => {
    const q = new BoundedQueue<number>({ capacity: 1 });
    const waiting = q.next();
    q[how]();
    expect(await waiting).toEqual(DONE);
  });

  it('end(error) rejects next() once the buffer is drained, then is done', async () => {
    const q = new BoundedQueue<number>({ capacity: 8 });
    const boom = new Error('boom');
    q.push(1);
    q.end(boom);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    await expect(q.next()).rejects.toBe(boom);
    expect(await q.next()).toEqual(DONE);
    const waiting = new BoundedQueue<number>({ capacity: 1 });
    const pending = waiting.next();
    waiting.end(boom);
    await expect(pending).rejects.toBe(boom);
  });

  it('stop() discards the buffer (counted) and wakes consumer and producer', async () => {
    const q = new BoundedQueue<number>({ capacity: 2 });
    q.push(1);
    q.push(2);
    const space = q.space();
    expect(q.stop()).toBe(2);
    await space;
    expect(q.dropped).toBe(2);
    expect(q.length).toBe(0);
    expect(await q.next()).toEqual(DONE);
    expect(q.stop()).toBe(0);
  });

  it('clear() discards the buffer (counted) and releases the producer without ending', async () => {
    const q = new BoundedQueue<number>({ capacity: 2 });
    q.push(1);
    expect(q.push(2)).toBe(false);
    const space = q.space();
    expect(q.clear()).toBe(2);
    await space;
    expect(q.dropped).toBe(2);
    expect(q.ended).toBe(false);
    q.push(3);
    expect(await q.next()).toEqual({ done: false, value: 3 });
  });

  it('leaving a for await loop stops it', async () => {
    const q = new BoundedQueue<number>({ capacity: 8 });
    for (let i = 0; i < 5; i++) q.push(i);
    expect(await take(q, 2)).toEqual([0, 1]);
    expect(q.ended).toBe(true);
    expect(q.dropped).toBe(3);
  });

  it('validates its options', () => {
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(TypeError);
    expect(() => new BoundedQueue({ capacity: 1.5 })).toThrow(/capacity/);
    expect(() => new BoundedQueue({ capacity: 4, resumeAt: 4 })).toThrow(/resumeAt/);
    expect(() => new BoundedQueue({ capacity: 1, whenFull: 'x' as never })).toThrow(/whenFull/);
    expect(new BoundedQueue({ capacity: 1 }).whenFull).toBe('wait');
    expect(checkOverflowPolicy('drop-oldest')).toBe('drop-oldest');
    expect(() => checkOverflowPolicy(1, 'policy')).toThrow(/^policy must be/);
  });
});
