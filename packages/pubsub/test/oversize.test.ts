/**
 * Messages above the size limit: the publisher refuses them with a typed
 * error and stays usable; a subscriber with a smaller limit drops and counts
 * them and keeps receiving from the same publisher.
 */

import { createMsgpackCodec } from '@xsmb/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { defineTopic, PubSubError, type TopicMessage } from '../src/index.js';
import { fastPublisher, fastSubscriber, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Notes = defineTopic<{ i: number; text: string }>('notes');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('oversize messages', () => {
  for (const withCodec of [false, true]) {
    it(`publish above maxMessageBytes rejects with TOO_LARGE, numbers nothing, and the publisher stays usable${withCodec ? ' (a codec with a larger limit)' : ''}`, async () => {
      const pub = fastPublisher(resources, {
        transportOptions: { maxMessageBytes: 1024 },
        ...(withCodec ? { codec: createMsgpackCodec() } : {}),
      });
      const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
      const sub = fastSubscriber(resources, { endpoints: [endpoint!] });
      const got: Array<TopicMessage<{ i: number; text: string }>> = [];
      sub.subscribe(Notes, { onMessage: (m) => void got.push(m) });
      await within(sub.ready(), 10_000, 'subscriber ready');
      await pub.waitForSubscribers(1, { timeoutMs: 10_000 });

      const error = await rejection(pub.publish(Notes, { i: 1, text: 'x'.repeat(2000) }));
      expect(error).toBeInstanceOf(PubSubError);
      expect((error as PubSubError).code).toBe('TOO_LARGE');
      await pub.publish(Notes, { i: 2, text: 'ok' });
      await waitFor(() => got.length === 1, 'the next message');
      expect(got[0]!.value).toEqual({ i: 2, text: 'ok' });
      // Refused before numbering: no gap.
      expect(got[0]!.seq).toBe(1);
      expect(sub.stats().gaps).toBe(0);
      expect(pub.stats().published).toBe(1);
    });
  }

  it('a subscriber with a smaller maxMessageBytes drops and counts a larger message and keeps receiving', async () => {
    const pub = fastPublisher(resources);
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = fastSubscriber(resources, {
      endpoints: [endpoint!],
      transportOptions: { maxMessageBytes: 1024 },
    });
    const got: number[] = [];
    sub.subscribe(Notes, { onMessage: (m) => void got.push(m.value.i) });
    await within(sub.ready(), 10_000, 'subscriber ready');
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });

    await pub.publish(Notes, { i: 1, text: 'small' });
    await waitFor(() => got.length === 1, 'first message');
    // In a burst (below the large-message size) and in the large form.
    await pub.publish(Notes, { i: 2, text: 'x'.repeat(2000) });
    await waitFor(() => sub.stats().transport.drops === 1, 'burst dropped');
    await pub.publish(Notes, { i: 3, text: 'y'.repeat(40_000) });
    await waitFor(() => sub.stats().transport.drops === 2, 'large message dropped');
    for (let i = 4; i <= 6; i++) await pub.publish(Notes, { i, text: 'small' });
    await waitFor(() => got.length === 4, `later messages (got ${got.join(',')})`);
    expect(got).toEqual([1, 4, 5, 6]);
    // The two dropped messages are also the stream's gap.
    expect(sub.stats().gaps).toBe(2);
    expect(pub.stats().unmatched).toBe(0);
  });
});
