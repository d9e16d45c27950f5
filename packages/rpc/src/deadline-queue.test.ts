import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue, type Expirable, now } from './deadline-queue.js';

/** An item that records when (fake monotonic time) it expired. */
function item(log: string[], name: string): Expirable {
  return { expire: () => log.push(`${name}@${Math.round(now())}`) };
}

describe('DeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires items in deadline order, each once, on one timer', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    q.add(item(log, 'c'), t + 30);
    q.add(item(log, 'a'), t + 10);
    q.add(item(log, 'b'), t + 20);
    expect(q.size).toBe(3);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(9);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(30);
    expect(log.map((s) => s.split('@')[0])).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shares a 1 ms bucket between deadlines that round up to it', () => {
    const q = new DeadlineQueue();
    const t = Math.ceil(now());
    const k1 = q.add({ expire() {} }, t + 4.2);
    const k2 = q.add({ expire() {} }, t + 4.9);
    expect(k1).toBe(t + 5);
    expect(k2).toBe(k1);
  });

  it('never expires before the deadline', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const at = now() + 7.5;
    q.add(item(log, 'x'), at);
    vi.advanceTimersByTime(7);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toHaveLength(1);
    expect(Number((log[0] as string).split('@')[1])).toBeGreaterThanOrEqual(Math.floor(at));
  });

  it('does not expire removed items', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    const a = item(log, 'a');
    const key = q.add(a, t + 10);
    q.add(item(log, 'b'), t + 10);
    q.remove(a, key);
    expect(q.size).toBe(1);
    vi.advanceTimersByTime(20);
    expect(log.map((s) => s.split('@')[0])).toEqual(['b']);
  });

  it('rearms for an earlier deadline added later', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    q.add(item(log, 'late'), t + 100);
    q.add(item(log, 'early'), t + 5);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(6);
    expect(log.map((s) => s.split('@')[0])).toEqual(['early']);
    vi.advanceTimersByTime(100);
    expect(log.map((s) => s.split('@')[0])).toEqual(['early', 'late']);
  });

  it('skips buckets emptied by remove and keeps the timer for the next one', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    const a = item(log, 'a');
    q.add(a, t + 5);
    q.remove(a, Math.ceil(t + 5));
    q.add(item(log, 'b'), t + 50);
    vi.advanceTimersByTime(10);
    expect(log).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(50);
    expect(log.map((s) => s.split('@')[0])).toEqual(['b']);
  });

  it('expires an item whose deadline already passed on the next timer turn', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    q.add(item(log, 'past'), now() - 10);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(log.map((s) => s.split('@')[0])).toEqual(['past']);
  });

  it('keeps expiring the others when one expire() throws', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    q.add(
      {
        expire() {
          throw new Error('boom');
        },
      },
      t + 5,
    );
    q.add(item(log, 'same-bucket'), t + 5);
    q.add(item(log, 'later'), t + 8);
    vi.advanceTimersByTime(10);
    expect(log.map((s) => s.split('@')[0])).toEqual(['same-bucket', 'later']);
  });

  it('lets an expiring item add a new deadline', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    q.add(
      {
        expire: () => {
          log.push('first');
          q.add(item(log, 'second'), now() + 5);
        },
      },
      t + 5,
    );
    vi.advanceTimersByTime(20);
    expect(log.map((s) => s.split('@')[0])).toEqual(['first', 'second']);
  });

  it('clear() cancels everything and stops the timer', () => {
    const q = new DeadlineQueue();
    const log: string[] = [];
    const t = now();
    q.add(item(log, 'a'), t + 5);
    q.add(item(log, 'b'), t + 15);
    q.clear();
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(50);
    expect(log).toEqual([]);
    q.add(item(log, 'c'), now() + 5);
    vi.advanceTimersByTime(10);
    expect(log.map((s) => s.split('@')[0])).toEqual(['c']);
  });

  it('orders many random deadlines (the heap)', () => {
    const q = new DeadlineQueue();
    const fired: number[] = [];
    const t = Math.ceil(now());
    const offsets = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 503) + 1);
    for (const d of offsets) q.add({ expire: () => fired.push(d) }, t + d);
    vi.advanceTimersByTime(600);
    expect(fired).toEqual([...offsets].sort((a, b) => a - b));
  });
});
