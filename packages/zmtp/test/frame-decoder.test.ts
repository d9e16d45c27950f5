import { describe, expect, it } from 'vitest';
import { FrameDecoder, headerSize, writeHeader } from '../src/frame-decoder.js';

function encode(frames: { flags: number; body: Uint8Array }[]): Uint8Array {
  let total = 0;
  for (const f of frames) total += headerSize(f.body.length) + f.body.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    at = writeHeader(out, at, f.flags, f.body.length);
    out.set(f.body, at);
    at += f.body.length;
  }
  return out;
}

describe('FrameDecoder', () => {
  const frames = [
    { flags: 1, body: new Uint8Array([1, 2, 3]) },
    { flags: 0, body: new Uint8Array(0) },
    { flags: 4, body: new Uint8Array(300).fill(7) },
    { flags: 0, body: new Uint8Array(255).fill(1) },
  ];
  const wire = encode(frames);

  it('decodes across every split point, with views inside one chunk', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const out: { flags: number; body: number[] }[] = [];
      const d = new FrameDecoder((flags, body) => out.push({ flags, body: [...body] }), 1000);
      d.push(wire.subarray(0, cut));
      d.push(wire.subarray(cut));
      expect(out).toEqual(frames.map((f) => ({ flags: f.flags, body: [...f.body] })));
      expect(d.idle).toBe(true);
    }
  });

  it('decodes byte by byte', () => {
    const out: number[] = [];
    const d = new FrameDecoder((_f, body) => out.push(body.length), 1000);
    for (const b of wire) d.push(new Uint8Array([b]));
    expect(out).toEqual([3, 0, 300, 255]);
  });

  it('hands out views of the chunk when a frame lies inside it', () => {
    const bodies: Uint8Array[] = [];
    const d = new FrameDecoder((_f, body) => bodies.push(body), 1000);
    d.push(wire);
    expect(bodies[0]!.buffer).toBe(wire.buffer);
  });

  it('refuses a declared 8 GiB frame before allocating', () => {
    const d = new FrameDecoder(() => {}, 1 << 20);
    const h = new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 0]);
    expect(() => d.push(h)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    const d2 = new FrameDecoder(() => {}, 1 << 20);
    d2.push(h.subarray(0, 4));
    expect(() => d2.push(h.subarray(4))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    const d3 = new FrameDecoder(() => {}, 1 << 20);
    expect(() =>
      d3.push(new Uint8Array([2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    ).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  });

  it('rejects reserved flag bits', () => {
    const d = new FrameDecoder(() => {}, 100);
    expect(() => d.push(new Uint8Array([8, 0]))).toThrow(
      expect.objectContaining({ code: 'PROTOCOL' }),
    );
  });
});
