// A typed message on both ends, its bytes, a validation error and a hostile
// input refused. Run: pnpm example (or `pnpm demo` at the repository root).
import { z } from 'zod';
// In your code: from '@xsmb/codec'.
import { CodecError, createMsgpackCodec, defineMessage } from '../src/index.js';

// 1. Declare the message once, in a module both sides import.
const OrderPlaced = defineMessage(
  z.object({
    orderId: z.string().min(1),
    quantity: z.number().int().positive(),
    price: z.number(),
    placedAt: z.date(),
    tags: z.array(z.string()).default([]),
    // A 64-bit id decodes as a number when it fits one exactly, as a bigint
    // beyond 2^53: accept both and make it a bigint.
    customer: z.object({
      id: z.union([z.bigint(), z.number().int()]).transform(BigInt),
      email: z.email(),
    }),
  }),
  { name: 'shop.OrderPlaced' },
);

/** Hex, 24 bytes to a line. */
function hex(bytes: Uint8Array): string {
  const pairs = Buffer.from(bytes).toString('hex').match(/../g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += 24) lines.push(`   ${pairs.slice(i, i + 24).join(' ')}`);
  return lines.join('\n');
}

// 2. The sender encodes: the argument is type-checked against the schema's input type.
const bytes = OrderPlaced.encode({
  orderId: 'o-1042',
  quantity: 3,
  price: 19.99,
  placedAt: new Date('2024-05-01T12:00:00.250Z'),
  customer: { id: 9007199254740993n, email: 'ada@example.com' }, // 2^53 + 1: needs a bigint
});
console.log(`1. OrderPlaced encoded: ${bytes.length} bytes of standard MessagePack`);
console.log(`${hex(bytes)}\n`);

// 3. The receiver decodes and validates: the result has the schema's output type.
const order = OrderPlaced.decode(bytes);
console.log('2. decoded and validated (tags got its default, the Date and the bigint came back):');
console.log(
  `   ${order.orderId}: ${order.quantity} x ${order.price} at ${order.placedAt.toISOString()}, tags ${JSON.stringify(order.tags)}, customer ${order.customer.id}\n`,
);

// 4. A sender with a bug: the receiver gets a VALIDATION error naming the fields.
const buggy = createMsgpackCodec().encode({
  orderId: 'o-1043',
  quantity: 0,
  price: 5,
  placedAt: '2024-05-01',
  customer: { id: 7, email: 'not-an-email' },
});
try {
  OrderPlaced.decode(buggy);
} catch (error) {
  if (!(error instanceof CodecError)) throw error;
  console.log(`3. a bad order is refused: ${error.code}`);
  for (const issue of error.issues ?? []) console.log(`   - ${issue.path}: ${issue.message}`);
  console.log();
}

// 5. Hostile input from the network: refused before msgpackr builds anything.
const hostile: [string, Uint8Array][] = [
  [
    'a msgpackr record definition (ext 0x72)',
    Uint8Array.from([0xd4, 0x72, 0x40, 0x91, 0xa1, 0x61, 0x01]),
  ],
  ['a string claiming 4 GiB', Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
  ['arrays nested 100,000 deep', new Uint8Array(100_000).fill(0x91)],
];
console.log('4. hostile inputs:');
for (const [what, input] of hostile) {
  try {
    OrderPlaced.decode(input);
    console.log(`   ${what}: accepted?!`);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    console.log(`   ${what}: ${error.code} (${error.message})`);
  }
}
