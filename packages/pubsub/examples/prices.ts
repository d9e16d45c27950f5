// Typed topics, key filtering, metadata, readiness and gap counting, with a
// publisher and two subscribers in one process. Run: pnpm example
import { z } from 'zod';
// In your code: from '@xsmb/pubsub'.
import { createPublisher, createSubscriber, defineTopic } from '../src/index.js';

// 1. Declare topics once, in a module both sides import: a type only, or a
//    Standard Schema (zod here) that subscribers validate with.
const Prices = defineTopic<{ sym: string; px: number }>('prices');
const Trades = defineTopic(
  'trades',
  z.object({ sym: z.string(), qty: z.number().int().positive(), px: z.number() }),
);

// 2. A publisher binds (or connects to a broker's frontend).
const pub = createPublisher({ slowSubscriber: 'drop' });
const [endpoint] = await pub.listen('tcp://127.0.0.1:0');

// 3. Subscribers connect and subscribe; a key is a prefix filter.
const desk = createSubscriber({
  endpoints: [endpoint!],
  listeners: [{ onGap: (e) => console.warn(`lost ${e.missing} ${e.topic}/${e.key} messages`) }],
});
const apple = desk.subscribe(Prices, { key: 'AAPL' }); // AAPL, AAPL.O, ...
const trades = desk.subscribe(Trades);
const audit = createSubscriber({ endpoints: [endpoint!] });
const everything = audit.subscribe(Prices); // every key

// 4. Avoid the slow joiner: wait until the subscriptions reached the publisher.
await Promise.all([desk.ready(), audit.ready()]);
await pub.waitForSubscribers(3, { timeoutMs: 2000 });

// 5. Publish: typed, with a key and metadata (e.g. a W3C traceparent).
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
for (const [sym, px] of [
  ['AAPL', 189.5],
  ['MSFT', 411.2],
  ['AAPL.O', 189.6],
] as const) {
  await pub.publish(Prices, { sym, px }, { key: sym, metadata: { traceparent } });
}
await pub.publish(Trades, { sym: 'AAPL', qty: 100, px: 189.5 });

// 6. Receive: each subscription is an async iterable; leaving the loop stops it.
let n = 0;
for await (const m of apple) {
  console.log(`apple  ${m.key} #${m.seq} px=${m.value.px} trace=${String(m.metadata.traceparent)}`);
  if (++n === 2) break;
}
for await (const t of trades) {
  console.log(`trade  ${t.value.qty} ${t.value.sym} @ ${t.value.px} from publisher ${t.publisher}`);
  break;
}
n = 0;
for await (const m of everything) {
  console.log(`audit  ${m.topic}/${m.key} #${m.seq}`);
  if (++n === 3) break;
}

console.log('counters', { desk: desk.stats().received, publisher: pub.stats().published });
await Promise.all([desk.close(), audit.close()]);
await pub.close();
