/** `xsmb sub <endpoint> <topic>` and `xsmb pub <endpoint> <topic> [json]`. */

import { createPublisher, createSubscriber, defineTopic } from '@xsmb/pubsub';
import type { Command } from 'commander';
import { type CurveFlags, clientCurve, serverCurve, withCurveOptions } from '../curve-options.js';
import { CliError } from '../exit-code.js';
import { collect, integer, parseMetadata, readMessage, readNdjson } from '../input.js';
import { ndjson, toJson } from '../json-mapping.js';
import { err, out } from '../output.js';

interface SubFlags extends CurveFlags {
  key?: string;
  count?: number;
}

interface PubFlags extends CurveFlags {
  key?: string;
  bind?: boolean;
  header?: string[];
  waitSubscribers: number;
  waitTimeout: number;
  json?: boolean;
}

/** Resolves on SIGINT or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Registers `sub` and `pub`. */
export function pubsubCommands(program: Command): void {
  const sub = program
    .command('sub')
    .description(
      'subscribe to a topic and print NDJSON: topic, key, seq, publisher, gaps, value, metadata',
    )
    .argument('<endpoint>', 'publisher (or broker backend) endpoint')
    .argument('<topic>', 'topic name')
    .option('--key <prefix>', 'only keys starting with this prefix')
    .option('--count <n>', 'exit after n messages', integer('--count'))
    .addHelpText(
      'after',
      '\n"gaps" counts the messages lost so far on this subscription (sequence-number gaps).\nStops on SIGINT/SIGTERM, or after --count messages.',
    );
  withCurveOptions(sub).action(async (endpoint: string, topicName: string, flags: SubFlags) => {
    const curve = clientCurve(flags);
    const subscriber = createSubscriber({
      endpoints: [endpoint],
      ...(curve === undefined ? {} : { transportOptions: { curve } }),
    });
    const subscription = subscriber.subscribe(
      defineTopic<unknown>(topicName),
      flags.key === undefined ? {} : { key: flags.key },
    );
    const stop = interrupted().then(() => subscription.stop());
    void stop;
    let n = 0;
    try {
      if (flags.count === 0) return;
      for await (const m of subscription) {
        process.stdout.write(
          ndjson({
            topic: m.topic,
            key: m.key ?? null,
            seq: m.seq,
            publisher: m.publisher,
            gaps: subscription.stats().gaps,
            value: m.value,
            metadata: m.metadata,
          }),
        );
        if (flags.count !== undefined && ++n >= flags.count) break;
      }
    } finally {
      await subscriber.close();
    }
  });

  const pub = program
    .command('pub')
    .description('publish JSON (argument, @file, or NDJSON lines on stdin) to a topic')
    .argument('<endpoint>', 'broker frontend to connect to, or with --bind the address to bind')
    .argument('<topic>', 'topic name')
    .argument('[json]', 'one message: JSON, @file or @- (default: NDJSON lines on stdin)')
    .option('--bind', 'bind the endpoint (tcp://127.0.0.1:0 picks a port) instead of connecting')
    .option('--key <key>', 'the messages’ key')
    .option('-H, --header <key=value>', 'metadata, repeatable', collect)
    .option(
      '--wait-subscribers <n>',
      'wait for n subscriptions before publishing (avoids the slow-joiner loss)',
      integer('--wait-subscribers'),
      0,
    )
    .option('--wait-timeout <ms>', 'how long to wait for them', integer('--wait-timeout'), 10_000)
    .option('--json', 'print the publisher counters as JSON when done')
    .addHelpText(
      'after',
      '\nWith --bind the bound endpoint is printed on stderr ("listening on ...") before waiting.\nPrints "published N (unmatched U, dropped D)" on stderr when done.',
    );
  withCurveOptions(pub).action(
    async (endpoint: string, topicName: string, json: string | undefined, flags: PubFlags) => {
      const topic = defineTopic<unknown>(topicName);
      const metadata = parseMetadata(flags.header);
      let transportOptions = {};
      if (flags.bind === true) {
        const curve = serverCurve(flags);
        if (curve !== undefined) transportOptions = curve;
      } else {
        const curveClient = clientCurve(flags);
        if (curveClient !== undefined) transportOptions = { curveClient };
      }
      const publisher = createPublisher({ slowSubscriber: 'block', transportOptions });
      try {
        if (flags.bind === true) {
          const [bound] = await publisher.listen(endpoint);
          err(`listening on ${bound}`);
        } else {
          publisher.connect(endpoint);
        }
        if (flags.waitSubscribers > 0) {
          try {
            await publisher.waitForSubscribers(flags.waitSubscribers, {
              topic: topicName,
              ...(flags.key === undefined ? {} : { key: flags.key }),
              timeoutMs: flags.waitTimeout,
            });
          } catch (error) {
            throw new CliError(
              `no ${flags.waitSubscribers} subscriber(s): ${(error as Error).message}`,
            );
          }
        }
        const options = {
          ...(flags.key === undefined ? {} : { key: flags.key }),
          ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
        };
        if (json !== undefined) {
          await publisher.publish(
            topic,
            await readMessage(json, { stdinFree: true, fallback: null }),
            options,
          );
        } else {
          for await (const message of readNdjson())
            await publisher.publish(topic, message, options);
        }
        const stats = publisher.stats();
        if (flags.json === true) out(JSON.stringify(toJson(stats)));
        err(
          `published ${stats.published} (unmatched ${stats.unmatched}, dropped ${stats.dropped})`,
        );
      } finally {
        await publisher.close();
      }
    },
  );
}
