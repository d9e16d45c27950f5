/**
 * The xSMB demo (`pnpm demo`): starts a pricing service and an order service
 * in their own processes on loopback with free ports, then acts as their
 * client (finding the pricing service by name, `dns:///localhost:PORT`) and
 * narrates: unary calls with deadlines and metadata through two
 * hops, validation and deadline errors, cancellation, a server stream, an
 * authorized client stream, the price feed over pub/sub, CURVE with an
 * allow-list that refuses an intruder, and the trace of it all. Then it shuts
 * everything down and exits 0.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { context as otelContext, propagation } from '@opentelemetry/api';
import { createSubscriber } from '@xsmb/pubsub';
import { Code, createClient, RpcError } from '@xsmb/rpc';
import { clientTracing } from '@xsmb/tracing';
import { generateKeyPair } from '@xsmb/transport';
import { Orders, PriceTick, Pricing, type ReadyMessage, type ServiceConfig } from './contracts.js';
import { setupTracing } from './telemetry.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (n: number, title: string) => say(`\n== ${n}. ${title}`);
const codeName = (e: unknown) =>
  e instanceof RpcError ? `${Object.keys(Code)[e.code]} (${e.code})` : String(e);

const children: ChildProcess[] = [];
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', stopChildren);

/** Starts a service process and waits for its ready message (bounded). */
function startService(
  file: string,
  config: ServiceConfig,
): Promise<{ child: ChildProcess; ready: ReadyMessage }> {
  const child = fork(join(import.meta.dirname, file), [], {
    env: { ...process.env, XSMB_DEMO_CONFIG: JSON.stringify(config) },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within 30 s`)), 30_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve({ child, ready: m as ReadyMessage });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited during start-up (code ${code})`));
    });
  });
}

function stopService(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send('stop');
  });
}

const shutdownTracing = setupTracing('client', say);
say('xSMB demo: a client, an order service and a pricing service, each in its own process.');

// CURVE keys: each server has a key pair; allow-lists name the client keys let in.
const keys = {
  pricing: generateKeyPair(),
  orders: generateKeyPair(),
  client: generateKeyPair(),
  intruder: generateKeyPair(),
};

step(
  1,
  'start the services (CURVE-encrypted RPC, allow-listed client keys, free ports on 127.0.0.1)',
);
const pricingSvc = await startService('pricing-service.ts', {
  keys: keys.pricing,
  allowed: [keys.orders.publicKey, keys.client.publicKey],
});
const ordersSvc = await startService('order-service.ts', {
  keys: keys.orders,
  allowed: [keys.client.publicKey],
  pricing: { endpoint: pricingSvc.ready.rpc, publicKey: keys.pricing.publicKey },
});

const orders = createClient(Orders, {
  endpoints: [ordersSvc.ready.rpc],
  interceptors: [clientTracing()],
  transportOptions: { curve: { serverPublicKey: keys.orders.publicKey, ...keys.client } },
});
// The pricing client finds its server by name: `dns:///localhost:PORT`
// resolved by the system resolver (dns.lookup, i.e. /etc/hosts here; with
// `dns: { servers }` it would ask DNS servers and follow TTLs), re-resolved
// as it goes, one connection per address.
const pricingPort = new URL(pricingSvc.ready.rpc).port;
const pricingTarget = `dns:///localhost:${pricingPort}`;
let pricingFound: (endpoint: string) => void = () => {};
const found = new Promise<string>((resolve) => {
  pricingFound = resolve;
});
const pricing = createClient(Pricing, {
  endpoints: [pricingTarget],
  dns: { family: 4 },
  onEndpointEvent: (e) => {
    if (e.type === 'added') pricingFound(e.endpoint);
    else if (e.type === 'resolutionFailed') pricingFound(`nothing (${e.error.message})`);
  },
  interceptors: [clientTracing()],
  transportOptions: { curve: { serverPublicKey: keys.pricing.publicKey, ...keys.client } },
});
say(`pricing client: ${pricingTarget} resolved to ${await found} (system resolver)`);

try {
  step(2, 'unary call with a deadline and metadata: client → orders → pricing');
  let trailers: Record<string, unknown> = {};
  const order = await orders.place(
    { sym: 'AAPL', qty: 10, side: 'buy' },
    { timeoutMs: 2_000, metadata: { 'x-request-id': 'req-42' }, onTrailers: (t) => (trailers = t) },
  );
  say(
    `placed ${order.orderId}: ${order.qty} ${order.sym} @ ${order.px} = ${order.total} (trailer x-order-id=${String(trailers['x-order-id'])})`,
  );
  // Baggage set here travels with the call, next to the trace context.
  const bag = propagation.createBaggage({ 'demo.customer': { value: 'acme' } });
  const second = await otelContext.with(propagation.setBaggage(otelContext.active(), bag), () =>
    orders.place({ sym: 'NVDA', qty: 3, side: 'sell' }, { timeoutMs: 2_000 }),
  );
  say(`placed ${second.orderId}: ${second.qty} ${second.sym} @ ${second.px}`);

  step(3, 'error paths: invalid input, unknown symbol');
  try {
    await orders.place({ sym: 'AAPL', qty: 0, side: 'buy' });
  } catch (e) {
    say(`qty 0 refused by the server's schema: ${codeName(e)} ${(e as RpcError).rawMessage}`);
  }
  try {
    await orders.place({ sym: 'ZZZZ', qty: 1, side: 'buy' });
  } catch (e) {
    say(`unknown symbol, failed two hops away: ${codeName(e)} ${(e as RpcError).rawMessage}`);
  }

  step(4, 'deadline: a 2 s job with a 150 ms budget');
  const t0 = performance.now();
  try {
    await pricing.slowQuote({ sym: 'MSFT', delayMs: 2_000 }, { timeoutMs: 150 });
  } catch (e) {
    say(`failed after ${Math.round(performance.now() - t0)} ms: ${codeName(e)}`);
  }

  step(5, 'cancellation: abort a call, break out of a stream');
  const ac = new AbortController();
  const pending = pricing.slowQuote(
    { sym: 'NVDA', delayMs: 5_000 },
    { signal: ac.signal, timeoutMs: 10_000 },
  );
  setTimeout(() => ac.abort(), 100);
  try {
    await pending;
  } catch (e) {
    say(`aborted after 100 ms: ${codeName(e)}`);
  }
  let seen = 0;
  for await (const row of orders.report({ rows: 1_000_000 })) {
    seen++;
    if (row.n === 4) break;
  }
  say(
    `read ${seen} of 1,000,000 report rows, then stopped reading: the server's generator is stopped`,
  );

  step(6, 'server stream: a report of 2,000 rows, flow-controlled');
  const report = orders.report({ rows: 2_000 });
  let rows = 0;
  let sum = 0;
  for await (const row of report) {
    rows++;
    sum += row.px;
  }
  say(
    `received ${rows} rows in order (sum of px ${sum}); trailers ${JSON.stringify(await report.trailers)}`,
  );

  step(7, 'client stream: log upload, authorized before any line flows');
  const refused = orders.uploadLogs({ service: 'demo-client', token: 'guess' });
  try {
    await refused.send({ line: 'this line must never be accepted' });
  } catch (e) {
    say(`upload with a bad token refused before data: ${codeName(e)}`);
  }
  const upload = orders.uploadLogs({ service: 'demo-client', token: 'upload-secret' });
  for (let i = 0; i < 500; i++)
    await upload.send({
      line: `2026-11-25T00:00:${String(i % 60).padStart(2, '0')}Z level=info msg="step ${i}"`,
    });
  const summary = await upload.close();
  say(
    `uploaded ${summary.lines} lines, ${summary.bytes} bytes; trailers ${JSON.stringify(await upload.trailers)}`,
  );

  step(8, 'pub/sub: the price feed, filtered by key, with sequence numbers');
  const subscriber = createSubscriber({ endpoints: [pricingSvc.ready.feed as string] });
  const nvda = subscriber.subscribe(PriceTick, { key: 'NVDA' });
  await subscriber.ready({ timeoutMs: 5_000 });
  let ticks = 0;
  for await (const m of nvda) {
    say(`tick ${m.key} px=${m.value.px} seq=${m.seq}`);
    if (++ticks === 5) break;
  }
  say(`subscription stats: ${JSON.stringify(nvda.stats())}`);
  await subscriber.close();

  step(9, 'CURVE allow-list: a client whose key is not on the list');
  const intruder = createClient(Orders, {
    endpoints: [ordersSvc.ready.rpc],
    transportOptions: { curve: { serverPublicKey: keys.orders.publicKey, ...keys.intruder } },
    connectTimeoutMs: 3_000,
  });
  try {
    await intruder.place({ sym: 'AAPL', qty: 1, side: 'buy' }, { timeoutMs: 5_000 });
    say('intruder got in: this must not happen');
    process.exitCode = 1;
  } catch (e) {
    say(`intruder refused: ${codeName(e)} ${(e as RpcError).rawMessage}`);
  }
  await intruder.close();

  step(10, 'shutdown: clients close, servers drain and exit');
} finally {
  await orders.close();
  await pricing.close();
  await Promise.all([stopService(ordersSvc.child), stopService(pricingSvc.child)]);
  await shutdownTracing();
}
say('\ndemo finished: every process exited cleanly.');
