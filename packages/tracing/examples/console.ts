// Traces a client and a server in one process and prints every span to the
// console. Run with `pnpm --filter @xsmb/tracing example`.
import { ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Code, createClient, createServer, defineService, RpcError, unary } from '@xsmb/rpc';
import { clientTracing, serverTracing } from '@xsmb/tracing';

// 1. The OpenTelemetry SDK, once per process, before any call. `register()` also installs the
//    AsyncLocalStorage context manager and the W3C trace-context + baggage propagators.
const provider = new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
provider.register();

const Greeter = defineService('demo.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
});

// 2. One interceptor on the server…
const server = createServer({ interceptors: [serverTracing()] });
server.add(Greeter, {
  hello(req) {
    if (req.name === '') throw new RpcError(Code.INVALID_ARGUMENT, 'name is empty');
    return { greeting: `hi ${req.name}` };
  },
});
const [endpoint] = await server.listen('tcp://127.0.0.1:0');
console.log(`server listening on ${endpoint}`);

// 3. …and one on the client.
const greeter = createClient(Greeter, {
  endpoints: [endpoint],
  interceptors: [clientTracing()],
});

console.log((await greeter.hello({ name: 'ada' })).greeting);
await greeter.hello({ name: '' }).catch((e: RpcError) => console.log(`refused: ${e.rawMessage}`));

await greeter.close();
await server.close({ graceMs: 1000 });
await provider.shutdown();
