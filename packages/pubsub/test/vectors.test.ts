/**
 * The protocol test vectors (test/vectors/pubsub-vectors.json, also shown in
 * docs/PROTOCOL.md "Pub/sub messages"), checked byte for byte both ways:
 * encoding gives exactly these bytes, decoding them gives these fields.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMsgpackCodec } from '@xsmb/codec';
import { decodeFrames, encodeBurst } from '@xsmb/transport';
import { describe, expect, it } from 'vitest';
import { type CompactHeader, readCompactHeader } from '../src/envelope.js';
import {
  decodeEnvelope,
  ENVELOPE_VERSION,
  encodeEnvelope,
  encodeTopicFrame,
  type Metadata,
  parseTopicFrame,
} from '../src/index.js';

interface EncodeVector {
  name: string;
  topic: string;
  key: string | null;
  publisherId: string;
  seq: number;
  metadata: Record<string, unknown> | null;
  value: unknown;
  topicFrame: string;
  envelope: string;
}
interface DecodeVector {
  name: string;
  envelope: string;
  publisherId: string;
  seq: number;
  metadata: Record<string, unknown> | null;
  value: unknown;
}
interface Vectors {
  envelopeVersion: number;
  encode: EncodeVector[];
  burst: {
    topic: string;
    key: string | null;
    frames: string[];
    envelopes: string[];
  };
  decode: DecodeVector[];
  invalid: Array<{ name: string; envelope: string; reason: string }>;
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, 'vectors', 'pubsub-vectors.json'), 'utf8'),
) as Vectors;
const codec = createMsgpackCodec();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Buffer => Buffer.from(text, 'hex');

/** `{"$bin": "<hex>"}` in the JSON stands for a MessagePack bin. */
function revive(metadata: Record<string, unknown> | null): Metadata | undefined {
  if (metadata === null) return undefined;
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) {
    out[k] =
      typeof v === 'object' && v !== null && '$bin' in v
        ? new Uint8Array(bytes((v as { $bin: string }).$bin))
        : (v as string);
  }
  return out;
}

/** What the subscriber's fast path reads, or undefined when it defers to the full decode. */
function fastPath(envelope: Uint8Array): { seq: number; id: string; value: unknown } | undefined {
  const header: CompactHeader = { seq: 0, valueOffset: 0 };
  if (!readCompactHeader(envelope, header)) return undefined;
  return {
    seq: header.seq,
    id: hex(envelope.subarray(4, 12)),
    value: codec.decode(envelope.subarray(header.valueOffset)),
  };
}

describe('pub/sub protocol vectors', () => {
  it('speaks the documented envelope version', () => {
    expect(vectors.envelopeVersion).toBe(ENVELOPE_VERSION);
  });

  for (const v of vectors.encode) {
    it(`encodes and decodes: ${v.name}`, () => {
      const metadata = revive(v.metadata);
      expect(hex(encodeTopicFrame(v.topic, v.key ?? undefined))).toBe(v.topicFrame);
      const envelope = encodeEnvelope(codec, bytes(v.publisherId), v.seq, metadata, v.value);
      expect(hex(envelope)).toBe(v.envelope);

      expect(parseTopicFrame(bytes(v.topicFrame))).toEqual({
        topic: v.topic,
        key: v.key ?? undefined,
      });
      const decoded = decodeEnvelope(codec, bytes(v.envelope));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(hex(decoded.envelope.publisherId)).toBe(v.publisherId);
      expect(decoded.envelope.seq).toBe(v.seq);
      expect(decoded.envelope.metadata).toEqual(metadata);
      expect(decoded.envelope.value).toEqual(v.value);
      // The subscriber's shortcut agrees with the full decode whenever it applies.
      const fast = fastPath(bytes(v.envelope));
      if (fast !== undefined)
        expect(fast).toEqual({ seq: v.seq, id: v.publisherId, value: v.value });
    });
  }

  it('frames a burst of one stream as documented', () => {
    const b = vectors.burst;
    const envelopes = b.envelopes.map(bytes);
    expect([
      hex(encodeTopicFrame(b.topic, b.key ?? undefined)),
      hex(encodeBurst(envelopes)),
    ]).toEqual(b.frames);
    const decoded = decodeFrames([bytes(b.frames[1]!)]);
    expect(decoded.ok && decoded.messages.map(hex)).toEqual(b.envelopes);
  });

  for (const v of vectors.decode) {
    it(`accepts another valid form: ${v.name}`, () => {
      const decoded = decodeEnvelope(codec, bytes(v.envelope));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(hex(decoded.envelope.publisherId)).toBe(v.publisherId);
      expect(decoded.envelope.seq).toBe(v.seq);
      expect(decoded.envelope.metadata).toEqual(revive(v.metadata));
      expect(decoded.envelope.value).toEqual(v.value);
      const fast = fastPath(bytes(v.envelope));
      if (fast !== undefined)
        expect(fast).toEqual({ seq: v.seq, id: v.publisherId, value: v.value });
    });
  }

  for (const v of vectors.invalid) {
    it(`refuses: ${v.name} (${v.reason})`, () => {
      const decoded = decodeEnvelope(codec, bytes(v.envelope));
      expect(decoded.ok).toBe(false);
      if (decoded.ok) return;
      expect(decoded.reason).toBe(v.reason);
      // The shortcut never accepts what the full decode refuses.
      let fast: unknown;
      try {
        fast = fastPath(bytes(v.envelope));
      } catch {
        fast = 'threw';
      }
      expect(fast === undefined || fast === 'threw').toBe(true);
    });
  }

  it('are the ones printed in docs/PROTOCOL.md, when that section is present', () => {
    let doc: string;
    try {
      doc = readFileSync(
        join(import.meta.dirname, '..', '..', '..', 'docs', 'PROTOCOL.md'),
        'utf8',
      );
    } catch {
      return;
    }
    const start = doc.indexOf('## Pub/sub messages');
    if (start < 0) return;
    const section = doc.slice(start).replace(/\s+/g, '');
    for (const v of vectors.encode) expect(section).toContain(v.envelope);
    for (const frame of vectors.burst.frames) expect(section).toContain(frame);
  });
});
