import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('is a FIFO across growth and wrap-around', () => {
    const ring = new RingBuffer<number>();
    const out: number[] = [];
    let next = 0;
    // Interleave so the head wraps while the buffer grows past 16 slots.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3; i++) ring.push(next++);
      out.push(ring.shift()!);
    }
    expect(ring.length).toBe(100);
    expect(ring.peek()).toBe(50);
    expect([ring.at(0), ring.at(99), ring.at(100), ring.at(-1)]).toEqual([
      50,
      149,
      undefined,
      undefined,
    ]);
    while (ring.length > 0) out.push(ring.shift()!);
    expect(out).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(ring.shift()).toBeUndefined();
    expect(ring.peek()).toBeUndefined();
  });

  it('clear() empties it and says how many there were', () => {
    const ring = new RingBuffer<string>();
    ring.push('a');
    ring.push('b');
    expect(ring.clear()).toBe(2);
    expect(ring.length).toBe(0);
    ring.push('c');
    expect(ring.shift()).toBe('c');
  });
});
