#!/usr/bin/env node
/**
 * `xsmb-pubsub-broker`: runs a pub/sub broker as a process.
 *
 *   xsmb-pubsub-broker --frontend tcp://0.0.0.0:5555 --backend tcp://0.0.0.0:5556
 *
 * Publishers connect to the frontend, subscribers to the backend. Prints one
 * JSON line with the bound endpoints when ready (`{"frontend": ..., "backend": ...}`),
 * optionally a JSON line of counters every `--stats-interval-ms`, and a last
 * one with the counters when stopped by SIGINT or SIGTERM (exit code 0).
 */

import { parseArgs } from 'node:util';
import { createBroker } from './broker.js';

const USAGE = `Usage: xsmb-pubsub-broker --frontend <endpoint> --backend <endpoint> [options]

  --frontend <endpoint>        where publishers connect, e.g. tcp://0.0.0.0:5555 (port 0: any free port)
  --backend <endpoint>         where subscribers connect, e.g. tcp://0.0.0.0:5556
  --slow-subscriber drop|block what to do when a subscriber's queue is full (default: drop)
  --hwm <messages>             send and receive high-water mark, in ZeroMQ messages (default: 1000)
  --max-message-bytes <bytes>  largest frame accepted (default: 16777216)
  --stats-interval-ms <ms>     print counters every <ms> (default: 0, never)
  --help                       show this text`;

function fail(message: string): never {
  process.stderr.write(`xsmb-pubsub-broker: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${text}`);
  return n;
}

let parsed: ReturnType<typeof parse>;
function parse() {
  const args = process.argv.slice(2);
  // `pnpm broker -- --frontend ...` passes the `--` through; it means nothing here.
  if (args[0] === '--') args.shift();
  return parseArgs({
    args,
    options: {
      frontend: { type: 'string' },
      backend: { type: 'string' },
      'slow-subscriber': { type: 'string' },
      hwm: { type: 'string' },
      'max-message-bytes': { type: 'string' },
      'stats-interval-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
}
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const { values } = parsed;
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.frontend === undefined || values.backend === undefined) {
  fail('--frontend and --backend are required');
}
const policy = values['slow-subscriber'] ?? 'drop';
if (policy !== 'drop' && policy !== 'block') fail(`--slow-subscriber must be drop or block`);
const hwm = integer('hwm', values.hwm);
const maxMessageBytes = integer('max-message-bytes', values['max-message-bytes']);
const statsIntervalMs = integer('stats-interval-ms', values['stats-interval-ms']) ?? 0;

const broker = createBroker({
  slowSubscriber: policy,
  ...(hwm === undefined ? {} : { sendHighWaterMark: hwm, receiveHighWaterMark: hwm }),
  ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
});
let frontend: string;
let backend: string;
try {
  [frontend, backend] = await broker.listen(values.frontend, values.backend);
} catch (error) {
  await broker.close();
  process.stderr.write(`xsmb-pubsub-broker: ${(error as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ frontend, backend })}\n`);

const timer =
  statsIntervalMs > 0
    ? setInterval(() => {
        process.stdout.write(`${JSON.stringify({ stats: broker.stats() })}\n`);
      }, statsIntervalMs)
    : undefined;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  const stats = broker.stats();
  await broker.close();
  process.stdout.write(`${JSON.stringify({ stopped: true, stats })}\n`);
  process.exitCode = 0;
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
