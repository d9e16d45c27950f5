import { describe, expect, it } from 'vitest';
import { type OverflowPolicy, SubscriptionImpl, type TopicMessage } from './subscription.js';

function message(i: number): TopicMessage<number> {
  return { value: i, topic: 't', key: undefined, metadata: {}, seq: i + 1, publisher: 'p' };
}

function subscription(capacity: number, policy: OverflowPolicy, onStop = () => {}) {
  return new SubscriptionImpl<number>({
    topic: 't',
    key: undefined,
    prefix: Buffer.from('t\0'),
    schema: undefined,
    capacity,
    policy,
    onStop,
  });
}

async function drain(sub: SubscriptionImpl<number>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await sub.next();
    if (r.done === true) break;
    out.push(r.value.value);
  }
  return out;
}

describe('subscription buffer', () => {
  it("'drop-newest' keeps the first messages and counts the rest", async () => {
    const sub = subscription(3, 'drop-newest');
    for (let i = 0; i < 5; i++) expect(sub.offer(message(i))).toBe(false);
    expect(sub.stats()).toMatchObject({ received: 5, pending: 3, dropped: 2 });
    expect(await drain(sub, 3)).toEqual([0, 1, 2]);
    expect(sub.stats()).toMatchObject({ delivered: 3, pending: 0 });
  });

  it("'drop-oldest' keeps the latest messages and counts the rest", async () => {
    const sub = subscription(3, 'drop-oldest');
    for (let i = 0; i < 5; i++) sub.offer(message(i));
    expect(sub.stats()).toMatchObject({ received: 5, pending: 3, dropped: 2 });
    expect(await drain(sub, 3)).toEqual([2, 3, 4]);
  });

  it("'wait' never drops: it tells the reader to pause until half the buffer is free", async () => {
    const sub = subscription(4, 'wait');
    expect([0, 1, 2].map((i) => sub.offer(message(i)))).toEqual([false, false, false]);
    expect(sub.offer(message(3))).toBe(true);
    expect(sub.stats().pending).toBe(4);
    let resumed = false;
    const space = sub.space().then(() => {
      resumed = true;
    });
    await drain(sub, 1);
    await Promise.resolve();
    expect(resumed).toBe(false);
    await drain(sub, 1);
    await space;
    expect(resumed).toBe(true);
    expect(sub.stats()).toMatchObject({ received: 4, delivered: 2, pending: 2, dropped: 0 });
  });

  it('hands a message straight to a waiting consumer', async () => {
    const sub = subscription(1, 'wait');
    const pending = sub.next();
    expect(sub.offer(message(7))).toBe(false);
    expect((await pending).value).toMatchObject({ value: 7, seq: 8 });
    expect(sub.stats()).toMatchObject({ received: 1, delivered: 1, pending: 0 });
  });

  it('stop ends pending and later reads, discards the buffer (counted) and runs once', async () => {
    let stops = 0;
    const sub = subscription(10, 'wait', () => stops++);
    sub.offer(message(1));
    sub.offer(message(2));
    sub.stop();
    sub.stop();
    expect(stops).toBe(1);
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    expect(sub.stats()).toMatchObject({ received: 2, dropped: 2, pending: 0 });
    expect(sub.offer(message(3))).toBe(false);
    expect(sub.stats().received).toBe(2);

    const other = subscription(10, 'wait');
    const waiting = [other.next(), other.next()];
    other.stop();
    expect(await Promise.all(waiting)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });

  it('leaving a for-await loop stops it', async () => {
    const sub = subscription(10, 'wait');
    sub.offer(message(0));
    sub.offer(message(1));
    for await (const m of sub) {
      expect(m.value).toBe(0);
      break;
    }
    expect(sub.stopped).toBe(true);
    expect(sub.stats()).toMatchObject({ delivered: 1, dropped: 1 });
  });
});
