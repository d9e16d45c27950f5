/**
 * `xsmb broker`: a pub/sub broker as a process (the former
 * `xsmb-pubsub-broker`, which keeps working for a release).
 */

import { createBroker } from '@xsmb/pubsub';
import { runBrokerProcess } from '@xsmb/pubsub/internal';
import { type Command, Option } from 'commander';
import { pino } from 'pino';
import { type CurveFlags, serverCurve, withCurveOptions } from '../curve-options.js';
import { CliError } from '../exit-code.js';
import { integer } from '../input.js';
import { err } from '../output.js';

interface BrokerFlags extends CurveFlags {
  frontend: string;
  backend: string;
  slowSubscriber: 'drop' | 'block';
  hwm?: number;
  maxMessageBytes?: number;
  statsIntervalMs: number;
  allowPublisherKey?: string[];
  allowSubscriberKey?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

function keys(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(/[\s,]+/).filter((k) => k !== '')];
}

/** Registers `broker`. */
export function brokerCommand(program: Command): void {
  const command = program
    .command('broker')
    .description(
      'run a pub/sub broker: publishers connect to the frontend, subscribers to the backend',
    )
    .requiredOption('--frontend <endpoint>', 'where publishers connect, e.g. tcp://0.0.0.0:5555')
    .requiredOption('--backend <endpoint>', 'where subscribers connect, e.g. tcp://0.0.0.0:5556')
    .addOption(
      new Option('--slow-subscriber <policy>', 'when a subscriber’s queue is full')
        .choices(['drop', 'block'])
        .default('drop'),
    )
    .option('--hwm <messages>', 'send and receive high-water mark (default 1000)', integer('--hwm'))
    .option(
      '--max-message-bytes <bytes>',
      'largest frame accepted (default 16777216)',
      integer('--max-message-bytes'),
    )
    .option(
      '--stats-interval-ms <ms>',
      'print counters every <ms> (0: never)',
      integer('--stats-interval-ms'),
      0,
    )
    .addOption(
      new Option(
        '--allow-publisher-key <z85>',
        'a publisher key allowed on the frontend; repeatable',
      )
        .env('XSMB_BROKER_ALLOW_PUBLISHER_KEYS')
        .argParser(keys),
    )
    .addOption(
      new Option(
        '--allow-subscriber-key <z85>',
        'a subscriber key allowed on the backend; repeatable',
      )
        .env('XSMB_BROKER_ALLOW_SUBSCRIBER_KEYS')
        .argParser(keys),
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'log connections, refused handshakes, drops and close as JSON lines (pino) on stderr',
      ).choices(['debug', 'info', 'warn', 'error']),
    )
    .addHelpText(
      'after',
      `
Prints {"frontend", "backend"} (plus "curvePublicKey" with CURVE) when bound, a line
{"stats": ...} every --stats-interval-ms, and {"stopped": true, "stats": ...} on
SIGINT/SIGTERM (exit 0). CURVE: the broker's key pair from --curve-public-key and
XSMB_CURVE_SECRET_KEY (or XSMB_BROKER_CURVE_PUBLIC_KEY / XSMB_BROKER_CURVE_SECRET_KEY).`,
    );
  withCurveOptions(command).action(async (flags: BrokerFlags) => {
    const curve = serverCurve({
      ...flags,
      curvePublicKey: flags.curvePublicKey ?? process.env.XSMB_BROKER_CURVE_PUBLIC_KEY,
      curveSecretKey: flags.curveSecretKey ?? process.env.XSMB_BROKER_CURVE_SECRET_KEY,
    })?.curve;
    if (
      curve === undefined &&
      (flags.allowPublisherKey ?? flags.allowSubscriberKey) !== undefined
    ) {
      throw new CliError('--allow-publisher-key and --allow-subscriber-key need CURVE keys');
    }
    try {
      const broker = createBroker({
        slowSubscriber: flags.slowSubscriber,
        ...(flags.hwm === undefined
          ? {}
          : { sendHighWaterMark: flags.hwm, receiveHighWaterMark: flags.hwm }),
        ...(flags.maxMessageBytes === undefined ? {} : { maxMessageBytes: flags.maxMessageBytes }),
        ...(curve === undefined ? {} : { curve }),
        ...(flags.allowPublisherKey === undefined
          ? {}
          : { allowedPublisherKeys: flags.allowPublisherKey }),
        ...(flags.allowSubscriberKey === undefined
          ? {}
          : { allowedSubscriberKeys: flags.allowSubscriberKey }),
        ...(flags.logLevel === undefined
          ? {}
          : {
              // Synchronous: the lines of the last events are written before the process exits.
              logger: pino({ level: flags.logLevel }, pino.destination({ fd: 2, sync: true })),
            }),
      });
      await runBrokerProcess(broker, {
        frontend: flags.frontend,
        backend: flags.backend,
        statsIntervalMs: flags.statsIntervalMs,
        curvePublicKey: curve?.publicKey,
        // With --log-level the logger reports refused handshakes (as JSON).
        reportHandshakeFailure:
          flags.logLevel === undefined ? (line) => err(`xsmb: ${line}`) : undefined,
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  });
}
