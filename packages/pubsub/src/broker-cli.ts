#!/usr/bin/env node
/**
 * `xsmb-pubsub-broker`: runs a pub/sub broker as a process.
 *
 *   xsmb-pubsub-broker --frontend tcp://0.0.0.0:5555 --backend tcp://0.0.0.0:5556
 *
 * Publishers connect to the frontend, subscribers to the backend. Prints one
 * JSON line with the bound endpoints when ready (`{"frontend": ..., "backend": ...}`,
 * plus `curvePublicKey` with CURVE), optionally a JSON line of counters every
 * `--stats-interval-ms`, and a last one with the counters when stopped by
 * SIGINT or SIGTERM (exit code 0). Refused handshakes are reported on stderr.
 *
 * CURVE keys come from flags or, so the secret key stays out of `ps`, from
 * the environment (flags win): XSMB_BROKER_CURVE_PUBLIC_KEY,
 * XSMB_BROKER_CURVE_SECRET_KEY, XSMB_BROKER_ALLOW_PUBLISHER_KEYS and
 * XSMB_BROKER_ALLOW_SUBSCRIBER_KEYS (Z85 keys separated by commas or
 * whitespace; Z85 uses neither).
 */

import { parseArgs } from 'node:util';
import { createBroker } from './broker.js';
import { runBrokerProcess } from './broker-process.js';

const DEPRECATED =
  'Deprecated: use `xsmb broker` from @xsmb/cli (same options); this command goes away in a later release.';

const USAGE = `Usage: xsmb-pubsub-broker --frontend <endpoint> --backend <endpoint> [options]
${DEPRECATED}

  --frontend <endpoint>        where publishers connect, e.g. tcp://0.0.0.0:5555 (port 0: any free port)
  --backend <endpoint>         where subscribers connect, e.g. tcp://0.0.0.0:5556
  --slow-subscriber drop|block what to do when a subscriber's queue is full (default: drop)
  --hwm <messages>             send and receive high-water mark, in ZeroMQ messages (default: 1000)
  --max-message-bytes <bytes>  largest frame accepted (default: 16777216)
  --stats-interval-ms <ms>     print counters every <ms> (default: 0, never)
  --curve-public-key=<z85>     the broker's CURVE public key; with the secret key, turns on
                               CURVE on both sides (env XSMB_BROKER_CURVE_PUBLIC_KEY; default: off)
  --curve-secret-key=<z85>     the broker's CURVE secret key; prefer the env variable
                               XSMB_BROKER_CURVE_SECRET_KEY (command lines are visible in ps)
  --allow-publisher-key=<z85>  a publisher key allowed on the frontend; repeatable (env
                               XSMB_BROKER_ALLOW_PUBLISHER_KEYS, comma-separated; default: any
                               CURVE publisher that knows the broker's public key)
  --allow-subscriber-key=<z85> a subscriber key allowed on the backend; repeatable (env
                               XSMB_BROKER_ALLOW_SUBSCRIBER_KEYS; default: any CURVE subscriber)
  --help                       show this text

Keys are Z85 (40 characters) and may start with '-': write them as --option=<key>,
quoted for the shell. Flags win over the environment.`;

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

/** Keys from repeated flags, else from a comma- or whitespace-separated env variable. */
function keyList(flags: string[] | undefined, env: string): string[] | undefined {
  if (flags !== undefined && flags.length > 0) return flags;
  const text = process.env[env];
  if (text === undefined || text.trim() === '') return undefined;
  return text.split(/[\s,]+/).filter((k) => k !== '');
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
      'curve-public-key': { type: 'string' },
      'curve-secret-key': { type: 'string' },
      'allow-publisher-key': { type: 'string', multiple: true },
      'allow-subscriber-key': { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
    strict: true,
  });
}
try {
  parsed = parse();
} catch (error) {
  const message = (error as Error).message;
  fail(
    message.includes('ambiguous')
      ? `${message}\n(a key that starts with '-' must be given as --option=<key>)`
      : message,
  );
}
const { values } = parsed;
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
process.stderr.write(`xsmb-pubsub-broker: ${DEPRECATED}\n`);
if (values.frontend === undefined || values.backend === undefined) {
  fail('--frontend and --backend are required');
}
const policy = values['slow-subscriber'] ?? 'drop';
if (policy !== 'drop' && policy !== 'block') fail(`--slow-subscriber must be drop or block`);
const hwm = integer('hwm', values.hwm);
const maxMessageBytes = integer('max-message-bytes', values['max-message-bytes']);
const statsIntervalMs = integer('stats-interval-ms', values['stats-interval-ms']) ?? 0;
const publicKey = values['curve-public-key'] ?? process.env.XSMB_BROKER_CURVE_PUBLIC_KEY;
const secretKey = values['curve-secret-key'] ?? process.env.XSMB_BROKER_CURVE_SECRET_KEY;
const allowedPublisherKeys = keyList(
  values['allow-publisher-key'],
  'XSMB_BROKER_ALLOW_PUBLISHER_KEYS',
);
const allowedSubscriberKeys = keyList(
  values['allow-subscriber-key'],
  'XSMB_BROKER_ALLOW_SUBSCRIBER_KEYS',
);
if ((publicKey === undefined) !== (secretKey === undefined)) {
  fail('CURVE needs both --curve-public-key and --curve-secret-key');
}
const curve =
  publicKey !== undefined && secretKey !== undefined ? { publicKey, secretKey } : undefined;
if (curve === undefined && (allowedPublisherKeys ?? allowedSubscriberKeys) !== undefined) {
  fail('--allow-publisher-key and --allow-subscriber-key need CURVE keys');
}

let broker: ReturnType<typeof createBroker>;
try {
  broker = createBroker({
    slowSubscriber: policy,
    ...(hwm === undefined ? {} : { sendHighWaterMark: hwm, receiveHighWaterMark: hwm }),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    ...(curve === undefined ? {} : { curve }),
    ...(allowedPublisherKeys === undefined ? {} : { allowedPublisherKeys }),
    ...(allowedSubscriberKeys === undefined ? {} : { allowedSubscriberKeys }),
  });
} catch (error) {
  // Malformed keys (TypeError naming the option).
  fail((error as Error).message);
}
try {
  await runBrokerProcess(broker, {
    frontend: values.frontend,
    backend: values.backend,
    statsIntervalMs,
    curvePublicKey: curve?.publicKey,
    reportHandshakeFailure: (line) => process.stderr.write(`xsmb-pubsub-broker: ${line}\n`),
  });
} catch (error) {
  process.stderr.write(`xsmb-pubsub-broker: ${(error as Error).message}\n`);
  process.exit(1);
}
