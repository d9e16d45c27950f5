import { describe, expect, it } from 'vitest';
import { advance, SequenceTracker } from './sequence-tracker.js';

const P1 = '0102030405060708';
const P2 = 'a0a1a2a3a4a5a6a7';

describe('sequence tracking', () => {
  it('takes the first message as the baseline, then counts missing numbers exactly', () => {
    const t = new SequenceTracker(10);
    const s = t.state(P1, 'prices\0');
    expect(advance(s, 57)).toBe(0);
    expect(advance(s, 58)).toBe(0);
    expect(advance(s, 61)).toBe(2);
    expect(advance(s, 62)).toBe(0);
    expect(advance(s, 1000)).toBe(937);
  });

  it('treats a number that goes back as a restart, not a gap', () => {
    const s = new SequenceTracker(10).state(P1, 'x\0');
    advance(s, 10);
    expect(advance(s, 3)).toBe(0);
    expect(advance(s, 4)).toBe(0);
    expect(advance(s, 4)).toBe(0);
    expect(advance(s, 6)).toBe(1);
  });

  it('keeps one state per publisher and topic frame', () => {
    const t = new SequenceTracker(10);
    expect(t.state(P1, 'a\0')).toBe(t.state(P1, 'a\0'));
    expect(t.state(P1, 'a\0')).not.toBe(t.state(P2, 'a\0'));
    expect(t.state(P1, 'a\0')).not.toBe(t.state(P1, 'a\0k'));
    expect(t.size).toBe(3);
  });

  it('is bounded: past maxStreams the oldest stream is forgotten', () => {
    const t = new SequenceTracker(2);
    const first = t.state(P1, 'a\0');
    advance(first, 5);
    t.state(P1, 'b\0');
    t.state(P1, 'c\0');
    expect(t.size).toBe(2);
    // Forgotten: a fresh state, which re-baselines.
    const again = t.state(P1, 'a\0');
    expect(again).not.toBe(first);
    expect(advance(again, 9)).toBe(0);
  });

  it('forgets streams no prefix covers any more', () => {
    const t = new SequenceTracker(10);
    t.state(P1, 'a\0x');
    t.state(P1, 'a\0y');
    t.state(P2, 'b\0');
    t.retain(['a\0x', 'b\0']);
    expect(t.size).toBe(2);
    t.retain([]);
    expect(t.size).toBe(0);
  });
});
