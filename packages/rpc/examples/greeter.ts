// Run: pnpm --filter @xsmb/rpc example
import { Code, createClient, createServer, defineService, RpcError, unary } from '../src/index.js';

export const Greeter = defineService('demo.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
});

const server = createServer({ maxConcurrency: 256 });
server.add(Greeter, {
  async hello(req, ctx) {
    ctx.trailers['x-served-by'] = 'example';
    if (req.name === '') throw new RpcError(Code.INVALID_ARGUMENT, 'name is empty');
    return { greeting: `hi ${req.name}` };
  },
});
const [endpoint] = await server.listen('tcp://127.0.0.1:0'); // the real port
console.log(`server listening on ${endpoint}`);

const greeter = createClient(Greeter, { endpoints: [endpoint] });
const res = await greeter.hello(
  { name: 'ada' },
  {
    timeoutMs: 200,
    metadata: { 'x-request-id': '42' },
    onTrailers: (t) => console.log('trailers:', t),
  },
);
console.log(res.greeting);

try {
  await greeter.hello({ name: '' });
} catch (e) {
  if (e instanceof RpcError && e.code === Code.INVALID_ARGUMENT)
    console.log('refused:', e.rawMessage);
}
await greeter.close();
await server.close({ graceMs: 1000 });
