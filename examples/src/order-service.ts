/**
 * The order service: places orders (asking Pricing, with the caller's
 * deadline and trace passed on), streams reports, accepts authorized log
 * uploads.
 */
import { Code, createClient, createServer, RpcError } from '@xsmb/rpc';
import { clientTracing, serverTracing } from '@xsmb/tracing';
import { Orders, Pricing } from './contracts.js';
import { logger, readConfig, serve } from './service-main.js';
import { setupTracing } from './telemetry.js';

const log = logger('orders');
const shutdownTracing = setupTracing('orders', log);
const config = readConfig();
if (!config.pricing) throw new Error('the order service needs the pricing endpoint');

const pricing = createClient(Pricing, {
  endpoints: [config.pricing.endpoint],
  interceptors: [clientTracing()],
  transportOptions: { curve: { serverPublicKey: config.pricing.publicKey, ...config.keys } },
});

let nextOrder = 1000;
const server = createServer({
  interceptors: [serverTracing()],
  transportOptions: { curve: config.keys, allowedClientKeys: config.allowed },
});
server.add(Orders, {
  async place(req, ctx) {
    // `parent: ctx` passes the remaining budget and cancellation on; the
    // tracing interceptors carry the trace in metadata.
    const requestId = ctx.metadata['x-request-id'];
    const quote = await pricing.quote(
      { sym: req.sym, qty: req.qty },
      { parent: ctx, metadata: typeof requestId === 'string' ? { 'x-request-id': requestId } : {} },
    );
    const orderId = `ord-${nextOrder++}`;
    log(`placed ${orderId}: ${req.side} ${req.qty} ${req.sym} @ ${quote.px}`);
    ctx.trailers['x-order-id'] = orderId;
    return { orderId, sym: req.sym, qty: req.qty, px: quote.px, total: quote.total };
  },
  async *report(req, ctx) {
    let n = 0;
    try {
      for (; n < req.rows; n++) {
        yield {
          n,
          orderId: `ord-${1000 + (n % 50)}`,
          sym: ['AAPL', 'MSFT', 'NVDA'][n % 3] as string,
          px: 100 + (n % 17),
        };
      }
      ctx.trailers['x-rows'] = String(n);
    } finally {
      log(
        `report stream over after ${n} rows${ctx.signal.aborted ? ' (the client cancelled it)' : ''}`,
      );
    }
  },
  uploadLogs: {
    authorize(open, ctx) {
      if (open.token !== 'upload-secret') {
        log(`refused a log upload from ${open.service}: bad token (before any line was accepted)`);
        throw new RpcError(Code.PERMISSION_DENIED, 'this token may not upload logs');
      }
      ctx.trailers['x-accepted-by'] = 'orders';
    },
    async handler(open, lines) {
      let count = 0;
      let bytes = 0;
      for await (const { line } of lines) {
        count++;
        bytes += Buffer.byteLength(line);
      }
      log(`received ${count} log lines (${bytes} bytes) from ${open.service}`);
      return { lines: count, bytes };
    },
  },
});
const [rpc] = await server.listen('tcp://127.0.0.1:0');
log(
  `listening: rpc ${rpc} (CURVE, ${config.allowed.length} allowed client keys); pricing at ${config.pricing.endpoint}`,
);

serve({ ready: true, rpc }, async () => {
  await server.close({ graceMs: 1000 });
  await pricing.close();
  log('stopped');
  await shutdownTracing();
});
