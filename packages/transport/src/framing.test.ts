import { describe, expect, it } from 'vitest';
import { checkFrames, decodeFrames, encodeBurst, planBurst, writeBurst } from './framing.js';
import type { ResolvedBurst } from './options.js';

const limits: ResolvedBurst = {
  maxMessages: 4,
  maxBytes: 1 + 3 * 14,
  largeMessageBytes: 20,
  flushAt: 32,
};
const msgs = (...sizes: number[]): Uint8Array[] => sizes.map((n, i) => new Uint8Array(n).fill(i));

describe('planBurst', () => {
  it('stops at maxMessages', () => {
    const out = { count: 0, bytes: 0 };
    planBurst(msgs(1, 1, 1, 1, 1, 1), 0, 6, limits, out);
    expect(out).toEqual({ count: 4, bytes: 1 + 4 * 5 });
  });

  it('stops before exceeding maxBytes, but always takes the first message', () => {
    const out = { count: 0, bytes: 0 };
    planBurst(msgs(10, 10, 10, 10), 0, 4, limits, out);
    expect(out).toEqual({ count: 3, bytes: 1 + 3 * 14 });
    planBurst(msgs(19), 0, 1, { ...limits, maxBytes: 5 }, out);
    expect(out).toEqual({ count: 1, bytes: 1 + 4 + 19 });
  });

  it('sends a large first message alone (count 0) and ends a burst before a large one', () => {
    const out = { count: 0, bytes: 0 };
    planBurst(msgs(21, 1), 0, 2, limits, out);
    expect(out.count).toBe(0);
    planBurst(msgs(1, 21, 1), 0, 3, limits, out);
    expect(out).toEqual({ count: 1, bytes: 6 });
  });

  it('respects start and end', () => {
    const out = { count: 0, bytes: 0 };
    planBurst(msgs(1, 2, 3, 4, 5), 2, 4, limits, out);
    expect(out).toEqual({ count: 2, bytes: 1 + 4 + 3 + 4 + 4 });
    const frame = writeBurst(msgs(1, 2, 3, 4, 5), 2, 2, out.bytes);
    const decoded = decodeFrames([frame]);
    expect(decoded.ok && decoded.messages.map((m) => m.length)).toEqual([3, 4]);
  });
});

describe('checkFrames', () => {
  it('accepts entries up to maxMessageBytes and lengths >= 2^31 are rejected, not negative', () => {
    expect(checkFrames([encodeBurst(msgs(8))], 0, 8)).toBeUndefined();
    expect(checkFrames([encodeBurst(msgs(9))], 0, 8)).toMatch(/above maxMessageBytes/);
    const huge = Buffer.from([0x01, 0x80, 0, 0, 0, 0x61]);
    expect(checkFrames([huge], 0, 2 ** 31 + 10)).toBe('burst entry truncated');
    expect(checkFrames([Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff])], 0, 100)).toMatch(
      /4294967295 bytes above/,
    );
  });

  it('looks only at the frames after `first` (routing id or topic before them)', () => {
    const rid = Buffer.from([0, 1, 2, 3, 4]);
    expect(checkFrames([rid, encodeBurst(msgs(3))], 1, 100)).toBeUndefined();
    expect(checkFrames([rid], 1, 100)).toBe('missing framing frame');
  });

  it('never throws on random input', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const frames = Array.from({ length: 1 + (rand() % 3) }, () =>
        Buffer.from(
          Array.from({ length: rand() % 24 }, () =>
            rand() % 4 === 0 ? rand() & 0xff : rand() % 3,
          ),
        ),
      );
      const result = decodeFrames(frames, { maxMessageBytes: 16 });
      if (result.ok) {
        for (const m of result.messages) expect(m.length).toBeLessThanOrEqual(16);
      } else {
        expect(typeof result.reason).toBe('string');
      }
    }
  });
});
