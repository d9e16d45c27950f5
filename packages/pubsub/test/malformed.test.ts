/**
 * Bad input from the network: messages published with a raw transport (not
 * an xSMB publisher) that are undecodable, of another envelope version, or
 * otherwise wrong are counted, reported and skipped; the subscriber keeps
 * working and the good messages around them arrive.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMsgpackCodec } from '@xsmb/codec';
import { createPublisherTransport } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSubscriber,
  defineTopic,
  encodeEnvelope,
  encodeTopicFrame,
  type InvalidEvent,
} from '../src/index.js';
import { FAST, Resources, take } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Prices = defineTopic<{ px: number }>('prices');
const codec = createMsgpackCodec();
const PUBLISHER = Buffer.from('0a0b0c0d0e0f1011', 'hex');
const invalidVectors = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'pubsub-vectors.json'), 'utf8')) as {
    invalid: Array<{ name: string; envelope: string; reason: string }>;
  }
).invalid;

/** A deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function rawSetup(listeners: Array<{ onInvalid(e: InvalidEvent): void }> = []) {
  const raw = resources.add(createPublisherTransport(FAST));
  const endpoint = await raw.listen('tcp://127.0.0.1:0');
  const sub = resources.add(
    createSubscriber({ endpoints: [endpoint], transportOptions: FAST, listeners }),
  );
  const feed = sub.subscribe(Prices);
  await sub.ready({ timeoutMs: 10_000 });
  await raw.waitForSubscribers(1, { timeoutMs: 10_000 });
  return { raw, sub, feed };
}

describe('malformed messages', () => {
  it('counts and skips every invalid protocol vector, reporting its reason', async () => {
    const events: InvalidEvent[] = [];
    const { raw, sub, feed } = await rawSetup([{ onInvalid: (e) => events.push(e) }]);
    const frame = encodeTopicFrame('prices', 'AAPL');
    let seq = 0;
    const good = () => encodeEnvelope(codec, PUBLISHER, ++seq, undefined, { px: seq });
    await raw.publish(frame, good());
    for (const v of invalidVectors) {
      await raw.publish(frame, Buffer.from(v.envelope, 'hex'));
      await raw.publish(frame, good());
    }
    const got = await take(feed, invalidVectors.length + 1);
    // Every good message arrived, in order, none lost.
    expect(got.map((m) => m.seq)).toEqual(got.map((_, i) => i + 1));
    expect(got.map((m) => m.value.px)).toEqual(got.map((_, i) => i + 1));
    expect(got.every((m) => m.publisher === PUBLISHER.toString('hex') && m.key === 'AAPL')).toBe(
      true,
    );
    expect(events.map((e) => e.reason)).toEqual(invalidVectors.map((v) => v.reason));
    expect(events.every((e) => e.topic === 'prices' && e.key === 'AAPL')).toBe(true);
    expect(feed.stats()).toMatchObject({ invalid: invalidVectors.length, gaps: 0 });
    expect(sub.stats()).toMatchObject({ invalid: invalidVectors.length, gaps: 0 });
    // A version mismatch says which version it is.
    const version = events.find((e) => e.reason === 'version')!;
    expect(version.message).toContain('unsupported envelope version 2');
  });

  it('survives 2,000 random and byte-flipped messages and keeps working', async () => {
    const { raw, sub, feed } = await rawSetup();
    const frame = encodeTopicFrame('prices', undefined);
    const next = random(42);
    const template = Buffer.from(
      encodeEnvelope(codec, PUBLISHER, 1, { a: 'b' }, { px: 1, n: [1] }),
    );
    let sent = 0;
    for (let i = 0; i < 1000; i++) {
      const junk = Buffer.alloc(Math.floor(next() * 64));
      for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(next() * 256);
      await raw.publish(frame, junk);
      const flipped = Buffer.from(template);
      // Corrupt past the publisher id, so that the marker below stays recognisable.
      const at = 20 + Math.floor(next() * (flipped.length - 20));
      flipped[at] = Math.floor(next() * 256);
      await raw.publish(frame, flipped);
      sent += 2;
    }
    // Then a good message: the subscriber is still alive and reads it.
    const marker = encodeEnvelope(codec, Buffer.from('ffffffffffffffff', 'hex'), 1, undefined, {
      px: -1,
    });
    await raw.publish(frame, marker);
    const it = feed[Symbol.asyncIterator]();
    let accepted = 0;
    for (let i = 0; i <= sent; i++) {
      const m = await it.next();
      if (m.done === true) throw new Error('subscription ended');
      if (m.value.publisher === 'ffffffffffffffff') break;
      accepted++;
    }
    const stats = sub.stats();
    // Each junk message was either refused or (rarely) happened to be valid MessagePack envelopes.
    expect(stats.invalid + accepted).toBe(sent);
    expect(stats.invalid).toBeGreaterThan(sent / 2);
    expect(stats.transport.drops).toBe(0);
  });
});
