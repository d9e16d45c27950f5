import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('keeps order through pushes, shifts and compaction', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    // Grows by one per round: the head passes the compaction point while entries remain.
    for (let i = 0; i < 5000; i++) {
      q.push(2 * i);
      q.push(2 * i + 1);
      out.push(q.shift() as number);
    }
    expect(q.length).toBe(5000);
    out.push(...q.drain());
    expect(out).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('clear() empties it', () => {
    const q = new Fifo<string>();
    q.push('a');
    q.clear();
    expect(q.length).toBe(0);
    expect(q.drain()).toEqual([]);
  });
});
