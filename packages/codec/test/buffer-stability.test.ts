import { Packr, pack, RESET_BUFFER_MODE } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { CodecError, createMsgpackCodec } from '../src/index.js';
import { toHex } from './helpers/vectors.js';

// The transport queues encoded messages and sends them later: bytes returned by
// encode must not change when more messages are encoded, whatever happens.
describe('bytes returned by encode stay valid and unchanged', () => {
  it('across thousands of later encodes, big ones and failed ones', () => {
    const codec = createMsgpackCodec();
    const kept: { bytes: Uint8Array; hex: string }[] = [];
    for (let i = 0; i < 6_000; i++) {
      const value =
        i % 1000 === 999
          ? { big: 'x'.repeat(100_000 + i) } // outgrows the slab
          : {
              id: i,
              method: 'demo.Greeter/hello',
              tags: ['a', 'b'],
              n: i * 1.5,
              pad: 'p'.repeat(i % 300),
            };
      const bytes = codec.encode(value);
      kept.push({ bytes, hex: toHex(bytes) });
      if (i % 97 === 0) {
        // A failed encode (after writing part of a message) must not touch earlier output.
        expect(() => codec.encode({ a: 'y'.repeat(500), f: () => 1 })).toThrow(CodecError);
      }
    }
    for (const { bytes, hex } of kept) expect(toHex(bytes)).toBe(hex);
    for (const [i, { bytes }] of kept.entries()) {
      expect((codec.decode(bytes) as { id?: number }).id).toBe(i % 1000 === 999 ? undefined : i);
    }
  });

  it('never hands out overlapping memory', () => {
    const codec = createMsgpackCodec();
    const outputs = Array.from({ length: 3_000 }, (_, i) =>
      codec.encode({ i, s: 's'.repeat(i % 200) }),
    );
    const byBuffer = new Map<ArrayBufferLike, Uint8Array[]>();
    for (const out of outputs) byBuffer.set(out.buffer, [...(byBuffer.get(out.buffer) ?? []), out]);
    expect(byBuffer.size).toBeGreaterThan(1); // several slabs were used
    for (const views of byBuffer.values()) {
      views.sort((a, b) => a.byteOffset - b.byteOffset);
      for (let k = 1; k < views.length; k++) {
        expect(views[k]!.byteOffset).toBeGreaterThanOrEqual(
          views[k - 1]!.byteOffset + views[k - 1]!.byteLength,
        );
      }
    }
  });

  it('two codecs do not share output memory', () => {
    const a = createMsgpackCodec();
    const b = createMsgpackCodec();
    expect(a.encode({ x: 1 }).buffer).not.toBe(b.encode({ x: 1 }).buffer);
  });

  it("msgpackr's pack returns views of one buffer shared by all its users (why xSMB has its own)", () => {
    const packr = new Packr({ useRecords: false });
    const first = pack({ a: 1 });
    const second = new Packr({ useRecords: false }).pack({ b: 2 });
    expect(second.buffer).toBe(first.buffer); // shared across instances
    // One RESET_BUFFER_MODE user, and the next pack anywhere overwrites its output.
    const reset = packr.pack({ mine: 'x'.repeat(20) }, RESET_BUFFER_MODE);
    const before = toHex(reset);
    pack({ other: 'y'.repeat(20) });
    expect(toHex(reset)).not.toBe(before);
  });

  it("does not use msgpackr's shared pack buffer: its buffer tricks cannot touch our bytes", () => {
    const codec = createMsgpackCodec();
    const ours = codec.encode({ keep: 'me', n: [1, 2, 3] });
    const hex = toHex(ours);
    const packr = new Packr({ useRecords: false });
    for (let i = 0; i < 2_000; i++)
      packr.pack({ user: i, filler: 'z'.repeat(i % 100) }, RESET_BUFFER_MODE);
    packr.useBuffer(Buffer.alloc(64 * 1024, 0xee));
    packr.position = 0;
    for (let i = 0; i < 200; i++) packr.pack({ again: i });
    expect(toHex(ours)).toBe(hex);
  });

  it('a small message after a big one does not keep the big buffer alive', () => {
    const codec = createMsgpackCodec();
    const big = codec.encode(new Uint8Array(1024 * 1024));
    const small = codec.encode({ small: true });
    expect(big.buffer.byteLength).toBeGreaterThanOrEqual(1024 * 1024);
    expect(small.buffer).not.toBe(big.buffer);
    expect(small.buffer.byteLength).toBeLessThanOrEqual(16 * 1024);
  });

  it('the unused rest of an output buffer holds zeros, not old memory', () => {
    const codec = createMsgpackCodec();
    const out = codec.encode('secret-free');
    const whole = new Uint8Array(out.buffer, out.byteOffset + out.byteLength);
    expect(whole.every((b) => b === 0)).toBe(true);
  });
});
