/**
 * Recipe: xSMB call metrics on a Prometheus `/metrics` page.
 *
 * `@xsmb/tracing`'s interceptors record the OpenTelemetry RPC metrics
 * (`rpc.server.call.duration`, `rpc.client.call.duration`, active calls,
 * stream messages). They only use `@opentelemetry/api`: the application picks
 * the SDK and the exporter. Here that is the OpenTelemetry Prometheus
 * exporter, served from our own `node:http` server so that it can bind to a
 * free port (the exporter's built-in server takes a fixed one).
 *
 * Run: `pnpm --filter @xsmb/examples metrics` — it makes a few calls, prints
 * the metrics URL and the xSMB lines of one scrape, then stops.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Code, createClient, createServer, defineService, RpcError, unary } from '@xsmb/rpc';
import { clientTracing, serverTracing } from '@xsmb/tracing';

const Greeter = defineService('recipe.Greeter', {
  hello: unary<{ name: string }, { greeting: string }>(),
});

/** A running recipe: the scrape URL and a way to stop everything it started. */
export interface MetricsRecipe {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  /** Closes the client, the xSMB server, the HTTP server and the meter provider. */
  close(): Promise<void>;
}

/**
 * Starts an xSMB server and client with metrics on a Prometheus exporter,
 * makes `calls` successful calls and `failures` failing ones, and returns the
 * scrape URL.
 */
export async function startMetricsRecipe(calls = 10, failures = 2): Promise<MetricsRecipe> {
  // The exporter is a metric reader: the meter provider pulls from the
  // instruments whenever Prometheus scrapes, nothing is pushed in between.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const http: HttpServer = createHttpServer((req, res) => {
    if (req.url === '/metrics') exporter.getMetricsRequestHandler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  // The same provider on both sides (one process here); each service passes its own.
  const server = createServer({ interceptors: [serverTracing({ meterProvider })] });
  server.add(Greeter, {
    hello({ name }) {
      if (name === '') throw new RpcError(Code.INVALID_ARGUMENT, 'name is empty');
      return { greeting: `hi ${name}` };
    },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  const greeter = createClient(Greeter, {
    endpoints: [endpoint as string],
    interceptors: [clientTracing({ meterProvider })],
  });

  for (let i = 0; i < calls; i++) await greeter.hello({ name: `n${i}` });
  for (let i = 0; i < failures; i++) await greeter.hello({ name: '' }).catch(() => {});

  return {
    url: `http://127.0.0.1:${port}/metrics`,
    async close() {
      await greeter.close();
      await server.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await meterProvider.shutdown();
    },
  };
}

// Run directly: print one scrape's xSMB lines.
if (import.meta.url === `file://${process.argv[1]}`) {
  const recipe = await startMetricsRecipe();
  console.log(`metrics at ${recipe.url}`);
  const text = await (await fetch(recipe.url)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith('rpc_') && !line.includes('_bucket')) console.log(line);
  }
  await recipe.close();
}
