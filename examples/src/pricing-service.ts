/**
 * The pricing service: quotes over RPC (CURVE, allow-listed clients only,
 * traced) and a price feed over pub/sub.
 */
import { createPublisher } from '@xsmb/pubsub';
import { Code, createServer, RpcError } from '@xsmb/rpc';
import { serverTracing } from '@xsmb/tracing';
import { PriceTick, Pricing } from './contracts.js';
import { logger, readConfig, serve } from './service-main.js';
import { setupTracing } from './telemetry.js';

const log = logger('pricing');
const shutdownTracing = setupTracing('pricing', log);
const config = readConfig();
const prices: Record<string, number> = { AAPL: 189.5, MSFT: 411.2, NVDA: 121.8 };

const server = createServer({
  interceptors: [serverTracing()],
  transportOptions: { curve: config.keys, allowedClientKeys: config.allowed },
});
server.add(Pricing, {
  quote(req, ctx) {
    const px = prices[req.sym];
    if (px === undefined) throw new RpcError(Code.NOT_FOUND, `unknown symbol ${req.sym}`);
    log(
      `quote ${req.qty} ${req.sym} @ ${px} (request ${String(ctx.metadata['x-request-id'] ?? '-')}, ${Math.round(ctx.timeRemainingMs())} ms left)`,
    );
    return { sym: req.sym, px, total: Math.round(px * req.qty * 100) / 100 };
  },
  slowQuote(req, ctx) {
    log(
      `slowQuote ${req.sym}: working for ${req.delayMs} ms (budget ${Math.round(ctx.timeRemainingMs())} ms)`,
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ px: prices[req.sym] ?? 0 }), req.delayMs);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        const reason = ctx.signal.reason as RpcError;
        log(
          `slowQuote ${req.sym}: stopped early, ${reason.rawMessage} (${reason.code === Code.CANCELLED ? 'CANCELLED' : 'DEADLINE_EXCEEDED'})`,
        );
        reject(reason);
      });
    });
  },
});
const [rpc] = await server.listen('tcp://127.0.0.1:0');

// The price feed: a tick per symbol every 20 ms, bounded to 30 s of ticks.
const publisher = createPublisher();
const [feed] = await publisher.listen('tcp://127.0.0.1:0');
let ticks = 0;
const ticker = setInterval(() => {
  if (++ticks > 1500) return clearInterval(ticker);
  for (const sym of Object.keys(prices)) {
    prices[sym] = Math.round(((prices[sym] as number) + (Math.random() - 0.5) * 0.2) * 100) / 100;
    void publisher
      .publish(PriceTick, { sym, px: prices[sym] as number, ts: Date.now() }, { key: sym })
      .catch(() => {});
  }
}, 20);

log(`listening: rpc ${rpc} (CURVE, ${config.allowed.length} allowed client keys), feed ${feed}`);
serve({ ready: true, rpc, feed }, async () => {
  clearInterval(ticker);
  await server.close({ graceMs: 1000 });
  await publisher.close();
  log('stopped');
  await shutdownTracing();
});
