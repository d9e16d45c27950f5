// Type-level tests: checked by `pnpm typecheck` (tsc). Each @ts-expect-error
// must stay an error; if a line stops being one, tsc fails.
import { z } from 'zod';
import { createPublisher } from './publisher.js';
import { createSubscriber } from './subscriber.js';
import type { TopicMessage } from './subscription.js';
import { defineTopic, type Topic, type TopicInput, type TopicOutput } from './topic.js';

const Prices = defineTopic<{ sym: string; px: number }>('prices');
const Orders = defineTopic(
  'orders',
  z.object({ id: z.string(), qty: z.string().transform((s) => Number(s)) }),
);

const pub = createPublisher();
const sub = createSubscriber();

async function publishTypes() {
  await pub.publish(Prices, { sym: 'AAPL', px: 1 });
  await pub.publish(
    Prices,
    { sym: 'AAPL', px: 1 },
    { key: 'AAPL', metadata: { traceparent: 'x' } },
  );
  await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { metadata: { bin: new Uint8Array(1) } });
  // @ts-expect-error a wrong field type is a compile error
  await pub.publish(Prices, { sym: 'AAPL', px: '1' });
  // @ts-expect-error a missing field is a compile error
  await pub.publish(Prices, { sym: 'AAPL' });
  // @ts-expect-error unknown fields are refused on a fresh object literal
  await pub.publish(Prices, { sym: 'AAPL', px: 1, extra: true });
  // @ts-expect-error metadata values are strings or bytes
  await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { metadata: { n: 1 } });
  // @ts-expect-error the key is a string
  await pub.publish(Prices, { sym: 'AAPL', px: 1 }, { key: 1 });
  // Schema topics publish the schema's input type...
  await pub.publish(Orders, { id: 'o1', qty: '5' });
  // @ts-expect-error ...not its output type
  await pub.publish(Orders, { id: 'o1', qty: 5 });
}

async function receiveTypes() {
  const prices = sub.subscribe(Prices, { key: 'AAPL' });
  for await (const m of prices) {
    const px: number = m.value.px;
    const key: string | undefined = m.key;
    const seq: number = m.seq;
    const publisher: string = m.publisher;
    const trace: string | Uint8Array | undefined = m.metadata.traceparent;
    // @ts-expect-error the value is typed
    const wrong: string = m.value.px;
    void [px, key, seq, publisher, trace, wrong];
  }
  // ...and subscribers receive the schema's output type.
  const orders = sub.subscribe(Orders);
  for await (const m of orders) {
    const qty: number = m.value.qty;
    // @ts-expect-error qty was transformed to a number
    const asString: string = m.value.qty;
    void [qty, asString];
  }
  const stats: { received: number; pending: number; gaps: number; invalid: number } =
    prices.stats();
  void stats;
  // @ts-expect-error the overflow policy is one of three names
  sub.subscribe(Prices, { whenFull: 'grow' });
  // Callbacks get the schema's output type too.
  sub.subscribe(Orders, {
    onMessage: (m) => {
      const qty: number = m.value.qty;
      void qty;
    },
    onError: (error, m) => void [error, m.value.id],
  });
  sub.subscribe(Prices, { onMessage: async (m) => void m.value.px, key: 'AAPL' });
  // @ts-expect-error a callback subscription has no buffer
  sub.subscribe(Prices, { onMessage: () => {}, bufferSize: 10 });
  sub.subscribe(Orders, {
    // @ts-expect-error qty is a number in the output
    onMessage: (m: TopicMessage<{ id: string; qty: string }>) => void m,
  });
}

// Topic type helpers.
const input: TopicInput<typeof Orders> = { id: 'x', qty: '1' };
const output: TopicOutput<typeof Orders> = { id: 'x', qty: 1 };
// @ts-expect-error topics of different types are not interchangeable
const notPrices: Topic<{ sym: string; px: number }> = defineTopic<{ other: boolean }>('x');
const message: TopicMessage<{ sym: string; px: number }> = {
  value: { sym: 'a', px: 1 },
  topic: 'prices',
  key: undefined,
  metadata: {},
  seq: 1,
  publisher: '0102030405060708',
};
void [publishTypes, receiveTypes, input, output, notPrices, message];
