import { createPublisherTransport } from '@xsmb/transport';
import { captureLogs } from '@xsmb/vitest-config/log-capture';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher, createSubscriber, defineTopic, encodeTopicFrame } from '../src/index.js';
import { FAST, Resources, take, waitFor } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const Prices = defineTopic<{ px: number }>('prices');
// Exact fields: the peer address comes from the zmtp engine, so these tests pin it.
const transportOptions = { ...FAST, engine: 'zmtp' } as const;

describe('the logger option', () => {
  it('logs publisher and subscriber connections, listen and close', async () => {
    const pubLog = captureLogs();
    const subLog = captureLogs();
    const pub = createPublisher({ logger: pubLog.logger, transportOptions });
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = createSubscriber({
      endpoints: [endpoint],
      logger: subLog.logger,
      transportOptions,
    });
    const feed = sub.subscribe(Prices);
    await sub.ready({ timeoutMs: 10_000 });
    await pub.waitForSubscribers(1, { timeoutMs: 10_000 });
    await pub.publish(Prices, { px: 1 });
    expect((await take(feed, 1)).map((m) => m.value)).toEqual([{ px: 1 }]);
    await sub.close();
    await waitFor(() => pubLog.lines.length === 3, 'publisher disconnected line');
    await pub.close();

    const address = endpoint.slice('tcp://'.length);
    expect(subLog.lines).toEqual([
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address,
        msg: 'subscriber connected',
      },
      {
        level: 30,
        component: 'transport',
        event: 'disconnected',
        endpoint,
        address,
        reason: 'disconnected',
        msg: 'subscriber disconnected',
      },
      {
        level: 30,
        component: 'subscriber',
        event: 'closed',
        received: 1,
        invalid: 0,
        gaps: 0,
        msg: 'subscriber closed',
      },
    ]);
    const subscriberAddress = expect.stringMatching(/^127\.0\.0\.1:\d+$/);
    expect(pubLog.lines).toEqual([
      {
        level: 30,
        component: 'publisher',
        event: 'listening',
        endpoint,
        msg: 'publisher listening',
      },
      {
        level: 30,
        component: 'transport',
        event: 'connected',
        endpoint,
        address: subscriberAddress,
        msg: 'publisher connected',
      },
      {
        level: 30,
        component: 'transport',
        event: 'disconnected',
        endpoint,
        address: pubLog.lines[1]?.address,
        reason: 'disconnected',
        msg: 'publisher disconnected',
      },
      { level: 30, component: 'publisher', event: 'closed', published: 1, msg: 'publisher closed' },
    ]);
  });

  it('logs a refused message with its count, reason and topic', async () => {
    const log = captureLogs();
    const raw = resources.add(createPublisherTransport(transportOptions));
    const endpoint = await raw.listen('tcp://127.0.0.1:0');
    const sub = resources.add(
      createSubscriber({ endpoints: [endpoint], logger: log.logger, transportOptions }),
    );
    sub.subscribe(Prices);
    await sub.ready({ timeoutMs: 10_000 });
    await raw.waitForSubscribers(1, { timeoutMs: 10_000 });
    // 0xc1 is never used in MessagePack: the envelope cannot be decoded.
    await raw.publish(encodeTopicFrame('prices', undefined), Uint8Array.of(0xc1));
    await waitFor(() => sub.stats().invalid === 1, 'invalid message counted');
    expect(log.lines.filter((l) => l.component === 'subscriber')).toEqual([
      {
        level: 40,
        component: 'subscriber',
        event: 'invalid-message',
        count: 1,
        reason: 'malformed',
        detail: expect.any(String),
        topic: 'prices',
        msg: 'message refused (counted in invalid)',
      },
    ]);
  });
});
