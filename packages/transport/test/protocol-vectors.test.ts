/**
 * Checks the transport framing vectors of docs/PROTOCOL.md byte for byte, in
 * both directions, so the document and the code cannot drift apart.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeBurst, encodeLarge, TAG_BURST, TAG_LARGE } from '../src/index.js';

interface Vector {
  name: string;
  messages: Buffer[];
  frames: Buffer[];
  drop?: string;
  maxMessageBytes?: number;
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const show = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function parseVectors(markdown: string): Vector[] {
  const section = markdown.slice(
    markdown.indexOf('## Transport framing'),
    markdown.indexOf('## RPC envelopes'),
  );
  const vectors: Vector[] = [];
  for (const match of section.matchAll(/```vector\n([\s\S]*?)```/g)) {
    const v: Vector = { name: '', messages: [], frames: [] };
    for (const line of match[1]!.split('\n')) {
      if (line.trim() === '') continue;
      const colon = line.indexOf(':');
      const key = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (key === 'name') v.name = value;
      else if (key === 'message') v.messages.push(hex(value));
      else if (key === 'frame') v.frames.push(hex(value));
      else if (key === 'drop') v.drop = value;
      else if (key === 'maxMessageBytes') v.maxMessageBytes = Number(value);
      else throw new Error(`unknown vector line: ${line}`);
    }
    vectors.push(v);
  }
  return vectors;
}

const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
const vectors = parseVectors(doc);

describe('docs/PROTOCOL.md transport framing vectors', () => {
  it('has the vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(14);
    expect(vectors.filter((v) => v.drop === undefined).length).toBeGreaterThanOrEqual(4);
  });

  for (const v of vectors) {
    if (v.drop === undefined) {
      it(`${v.name}: encodes to the documented frames`, () => {
        const frames =
          v.frames[0]![0] === TAG_LARGE ? encodeLarge(v.messages[0]!) : [encodeBurst(v.messages)];
        expect(frames.map(show)).toEqual(v.frames.map(show));
      });
      it(`${v.name}: decodes to the documented messages`, () => {
        const result = decodeFrames(v.frames);
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.messages.map(show)).toEqual(v.messages.map(show));
      });
    } else {
      it(`${v.name}: is dropped (${v.drop})`, () => {
        const options =
          v.maxMessageBytes === undefined ? {} : { maxMessageBytes: v.maxMessageBytes };
        expect(decodeFrames(v.frames, options)).toEqual({ ok: false, reason: v.drop });
      });
    }
  }

  it('uses the tags the document names', () => {
    expect(TAG_BURST).toBe(0x01);
    expect(TAG_LARGE).toBe(0x02);
  });
});
