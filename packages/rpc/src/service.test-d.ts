// Type-level tests: checked by `pnpm typecheck` (tsc). Each @ts-expect-error
// must stay an error; if a line stops being one, tsc fails.
import { z } from 'zod';
import type { CallContext } from './call.js';
import { createClient } from './client.js';
import { createServer } from './server.js';
import { defineService, type ServiceImplementation } from './service.js';
import { unary } from './unary.js';

const Greeter = defineService('demo.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
});

const Schemas = defineService('demo.Schemas', {
  parse: unary({
    input: z.object({ n: z.string().transform((s) => Number(s)) }),
    output: z.object({ ok: z.boolean() }),
  }),
});

const server = createServer();

// A complete, well-typed implementation compiles.
server.add(Greeter, { hello: async (req: { name: string }) => ({ greeting: req.name }) });
server.add(Greeter, {
  hello: (req, ctx: CallContext) => ({ greeting: `${req.name}${ctx.deadline}` }),
});

// @ts-expect-error a missing method is a compile error
server.add(Greeter, {});

// @ts-expect-error a mistyped result is a compile error
server.add(Greeter, { hello: async () => ({ greeting: 42 }) });

// @ts-expect-error a mistyped request parameter is a compile error
server.add(Greeter, { hello: async (req: { name: number }) => ({ greeting: String(req.name) }) });

// Schema types are inferred: the handler sees the transformed input (number).
const impl: ServiceImplementation<typeof Schemas> = {
  parse: (req) => {
    const n: number = req.n;
    return { ok: n > 0 };
  },
};
server.add(Schemas, impl);

const client = createClient(Greeter, { endpoints: ['tcp://127.0.0.1:1'] });
async function clientTypes() {
  const res: { greeting: string } = await client.hello({ name: 'ada' }, { timeoutMs: 5 });
  // @ts-expect-error the request is type-checked
  await client.hello({ name: 1 });
  // @ts-expect-error unknown methods do not exist on the client
  await client.goodbye({});
  const schemaClient = createClient(Schemas, { endpoints: ['tcp://127.0.0.1:1'] });
  // The client passes the schema's input type (string), gets its output type.
  const parsed: { ok: boolean } = await schemaClient.parse({ n: '5' });
  // @ts-expect-error the client passes the input type, not the transformed one
  await schemaClient.parse({ n: 5 });
  return [res, parsed];
}
void clientTypes;

// Reserved method names are compile errors, not only run-time throws.
// @ts-expect-error `close` is the client's own method
defineService('demo.Reserved1', { close: unary<null, null>() });
defineService('demo.Reserved2', {
  // @ts-expect-error `then` would make the client look like a promise
  // biome-ignore lint/suspicious/noThenProperty: the point is that `then` is refused
  then: unary<null, null>(),
});
// @ts-expect-error `constructor` clashes with every object
defineService('demo.Reserved3', { constructor: unary<null, null>(), ok: unary<null, null>() });
// @ts-expect-error `toString` clashes with every object
defineService('demo.Reserved4', { toString: unary<null, null>() });
// Other names still infer their types.
const NotReserved = defineService('demo.NotReserved', { closeAll: unary<null, number>() });
const nr = createClient(NotReserved, { endpoints: ['tcp://127.0.0.1:1'] });
const closeAllResult: Promise<number> = nr.closeAll(null);
void closeAllResult;
