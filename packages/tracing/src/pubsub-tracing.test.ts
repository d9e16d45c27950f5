import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  createPublisher,
  createSubscriber,
  defineTopic,
  type Publisher,
  type Subscriber,
  type Subscription,
  type TopicMessage,
} from '@xsmb/pubsub';
import { afterEach, describe, expect, it } from 'vitest';
import { parentId, points, registerOtel, resetOtel } from '../test/support.js';
import { pubsubTracing } from './pubsub-tracing.js';

const Prices = defineTopic<{ sym: string; px: number }>('prices');
const Trades = defineTopic<{ sym: string; qty: number }>('trades');

/** Fast heartbeats and no linger, so closing never waits on a peer. */
const transportOptions = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000, lingerMs: 0 };

const closables: Array<Publisher | Subscriber> = [];
afterEach(async () => {
  for (const c of closables.splice(0).reverse()) await c.close();
  await resetOtel();
});

/** A traced publisher and subscriber on TCP 127.0.0.1, subscribed to `topics` and ready. */
async function traced() {
  const tracing = pubsubTracing();
  const pub = createPublisher({ interceptors: [tracing.interceptor], transportOptions });
  closables.push(pub);
  const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
  const sub = createSubscriber({
    endpoints: [endpoint],
    listeners: [tracing.listener],
    transportOptions,
  });
  closables.push(sub);
  const prices = sub.subscribe(Prices);
  const trades = sub.subscribe(Trades);
  await sub.ready({ timeoutMs: 10_000 });
  await pub.waitForSubscribers(2, { timeoutMs: 10_000 });
  return { pub, prices, trades };
}

/** The next `count` messages of a subscription (the test's timeout bounds the wait). */
async function take<T>(sub: Subscription<T>, count: number): Promise<Array<TopicMessage<T>>> {
  const it = sub[Symbol.asyncIterator]();
  const out: Array<TopicMessage<T>> = [];
  while (out.length < count) {
    const next = await it.next();
    if (next.done === true) throw new Error(`subscription ended after ${out.length} messages`);
    out.push(next.value);
  }
  return out;
}

describe('pubsubTracing', () => {
  it('links the consumer span to the producer span through the message metadata', async () => {
    const otel = registerOtel();
    const { pub, prices } = await traced();
    const outer = trace.getTracer('test').startSpan('outer');
    await context.with(trace.setSpan(context.active(), outer), () =>
      pub.publish(Prices, { sym: 'AAPL', px: 1 }, { key: 'AAPL', metadata: { 'x-user': 'ada' } }),
    );
    outer.end();
    const [m] = await take(prices, 1);

    const p = otel.span('send prices', SpanKind.PRODUCER);
    const c = otel.span('receive prices', SpanKind.CONSUMER);
    const { traceId, spanId } = p.spanContext();
    expect(traceId).toBe(outer.spanContext().traceId);
    expect(parentId(p)).toBe(outer.spanContext().spanId);
    expect(m!.metadata).toEqual({ 'x-user': 'ada', traceparent: `00-${traceId}-${spanId}-01` });
    expect(c.spanContext().traceId).toBe(traceId);
    expect(parentId(c)).toBe(spanId);
    expect(c.parentSpanContext?.isRemote).toBe(true);
    expect(c.links.map((l) => l.context.spanId)).toEqual([spanId]);
    expect(p.attributes).toEqual({
      'messaging.system': 'xsmb',
      'messaging.destination.name': 'prices',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.xsmb.message.key': 'AAPL',
    });
    expect(c.attributes).toEqual({
      'messaging.system': 'xsmb',
      'messaging.destination.name': 'prices',
      'messaging.operation.name': 'receive',
      'messaging.operation.type': 'receive',
      'messaging.xsmb.message.key': 'AAPL',
      'messaging.xsmb.message.seq': 1,
      'messaging.xsmb.publisher.id': pub.id,
    });
    expect(p.status.code).toBe(SpanStatusCode.UNSET);
    expect(p.instrumentationScope.name).toBe('@xsmb/tracing');
    expect(p.ended && c.ended).toBe(true);
  });

  it('marks a failed publish on its span', async () => {
    const otel = registerOtel();
    const { pub } = await traced();
    await expect(
      pub.publish(Prices, { sym: 'x', px: 1 }, { metadata: { 'Bad Key': 'v' } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const p = otel.span('send prices', SpanKind.PRODUCER);
    expect(p.status.code).toBe(SpanStatusCode.ERROR);
    expect(p.attributes['error.type']).toBe('INVALID_ARGUMENT');
  });

  it('counts messages sent and received per topic', async () => {
    const otel = registerOtel();
    const { pub, prices, trades } = await traced();
    for (let i = 0; i < 3; i++) await pub.publish(Prices, { sym: 'AAPL', px: i });
    await pub.publish(Trades, { sym: 'AAPL', qty: 1 });
    await expect(
      pub.publish(Trades, { sym: 'x', qty: 1 }, { metadata: { 'Bad Key': 'v' } }),
    ).rejects.toThrow();
    await take(prices, 3);
    await take(trades, 1);

    const resource = await otel.collect();
    const values = (name: string) =>
      points(resource, name)
        .map((p) => `${JSON.stringify(p.attributes)} → ${String(p.value)}`)
        .sort();
    const base = (topic: string, operation: string) => ({
      'messaging.system': 'xsmb',
      'messaging.destination.name': topic,
      'messaging.operation.name': operation,
    });
    expect(values('messaging.client.sent.messages')).toEqual(
      [
        `${JSON.stringify(base('prices', 'send'))} → 3`,
        `${JSON.stringify(base('trades', 'send'))} → 1`,
        `${JSON.stringify({ ...base('trades', 'send'), 'error.type': 'INVALID_ARGUMENT' })} → 1`,
      ].sort(),
    );
    expect(values('messaging.client.consumed.messages')).toEqual(
      [
        `${JSON.stringify(base('prices', 'receive'))} → 3`,
        `${JSON.stringify(base('trades', 'receive'))} → 1`,
      ].sort(),
    );
  });

  it('with no OpenTelemetry SDK, messages flow untouched and nothing is recorded', async () => {
    const { pub, prices } = await traced();
    await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { metadata: { 'x-user': 'ada' } });
    await pub.publish(Prices, { sym: 'AAPL', px: 2 });
    const [m1, m2] = await take(prices, 2);
    // The API's no-op propagator writes nothing.
    expect(m1!.metadata).toEqual({ 'x-user': 'ada' });
    expect(m2!.metadata).toEqual({});
    expect(m2!.seq).toBe(2);

    // Registered afterwards, an SDK sees only what happens from then on.
    const otel = registerOtel();
    expect(otel.spans()).toEqual([]);
    await pub.publish(Prices, { sym: 'AAPL', px: 3 });
    const [m3] = await take(prices, 1);
    expect(m3!.metadata.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(otel.spans().map((s) => s.name)).toEqual(['send prices', 'receive prices']);
    // Nothing was left in the global propagator beyond the test's own.
    expect(propagation.fields()).toContain('traceparent');
  });
});
