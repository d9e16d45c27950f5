/** The contracts the demo's processes share: two services and one topic. */
import { defineTopic } from '@xsmb/pubsub';
import { defineService, unary } from '@xsmb/rpc';
import { clientStream, serverStream } from '@xsmb/stream';
import { z } from 'zod';

/** Prices instruments; owns the price feed. */
export const Pricing = defineService('demo.Pricing', {
  quote: unary({
    input: z.object({ sym: z.string().min(1), qty: z.number().int().positive() }),
    output: z.object({ sym: z.string(), px: z.number(), total: z.number() }),
  }),
  /** Deliberately slow, to show deadlines and cancellation. */
  slowQuote: unary<{ sym: string; delayMs: number }, { px: number }>(),
});

/** Takes orders (asking Pricing for the price), reports on them, receives log uploads. */
export const Orders = defineService('demo.Orders', {
  place: unary({
    input: z.object({
      sym: z.string().min(1),
      qty: z.number().int().positive(),
      side: z.enum(['buy', 'sell']),
    }),
    output: z.object({
      orderId: z.string(),
      sym: z.string(),
      qty: z.number(),
      px: z.number(),
      total: z.number(),
    }),
  }),
  report: serverStream<{ rows: number }, { n: number; orderId: string; sym: string; px: number }>(),
  uploadLogs: clientStream<
    { service: string; token: string },
    { line: string },
    { lines: number; bytes: number }
  >(),
});

/** The price feed: one message per tick, keyed by symbol. */
export const PriceTick = defineTopic<{ sym: string; px: number; ts: number }>('prices');

/** What the orchestrator hands each service process (as JSON in XSMB_DEMO_CONFIG). */
export interface ServiceConfig {
  /** This service's CURVE key pair. */
  keys: { publicKey: string; secretKey: string };
  /** Client keys allowed in (ZAP allow-list). */
  allowed: string[];
  /** For the order service: where Pricing listens and its public key. */
  pricing?: { endpoint: string; publicKey: string };
}

/** What a service process reports when it is up. */
export interface ReadyMessage {
  ready: true;
  rpc: string;
  feed?: string;
}
