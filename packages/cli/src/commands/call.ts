/** `xsmb call <endpoint> <service/method> [json]`. */

import type { Command } from 'commander';
import { type CurveFlags, clientCurve, withCurveOptions } from '../curve-options.js';
import {
  type DynamicMethod,
  dynamicMethod,
  kindOption,
  type MethodKind,
} from '../dynamic-client.js';
import { isLocalError } from '../exit-code.js';
import { collect, integer, parseMetadata, readMessage, readNdjson } from '../input.js';
import { ndjson, toJson } from '../json-mapping.js';
import { out } from '../output.js';
import { showError, showTrailers } from '../rpc-output.js';

interface CallFlags extends CurveFlags {
  header?: string[];
  timeout: number;
  kind?: MethodKind;
  json?: boolean;
}

/** Streams the NDJSON of standard input into a client or bidi stream, then half-closes. */
async function sendAll(call: { send(m: unknown): Promise<void> }): Promise<void> {
  for await (const message of readNdjson()) await call.send(message);
}

async function run(method: DynamicMethod, message: unknown, flags: CallFlags): Promise<number> {
  const metadata = parseMetadata(flags.header);
  const callOptions = { timeoutMs: flags.timeout, metadata };
  const json = flags.json === true;
  switch (method.kind) {
    case 'unary': {
      let trailers: Record<string, unknown> | undefined;
      const response = await method.call(message, {
        ...callOptions,
        onTrailers: (t: Record<string, unknown>) => {
          trailers = t;
        },
      });
      if (json)
        out(JSON.stringify({ response: toJson(response), trailers: toJson(trailers ?? {}) }));
      else {
        process.stdout.write(ndjson(response));
        showTrailers(trailers);
      }
      return 0;
    }
    case 'server-stream': {
      const call = method.call(message, callOptions);
      for await (const m of call) process.stdout.write(ndjson(m));
      showTrailers(await call.trailers);
      return 0;
    }
    case 'client-stream': {
      const call = method.call(message, callOptions);
      // Failing early (a refused stream) ends the sending too.
      const sending = sendAll(call).then(
        () => call.close(),
        (error) => {
          call.cancel?.();
          throw error;
        },
      );
      const response = await Promise.race([sending, call.result]);
      process.stdout.write(ndjson(response));
      showTrailers(await call.trailers);
      return 0;
    }
    case 'bidi-stream': {
      const call = method.call(message, callOptions);
      const sending = sendAll(call).then(() => call.close());
      // A failed send surfaces as the stream's error below.
      sending.catch(() => undefined);
      for await (const m of call) process.stdout.write(ndjson(m));
      await sending;
      showTrailers(await call.trailers);
      return 0;
    }
  }
}

/** Registers `call`. */
export function callCommand(program: Command): void {
  const command = program
    .command('call')
    .description(
      'call a method: JSON in (argument, @file, @- or stdin), JSON out; streams as NDJSON',
    )
    .argument('<endpoint>', 'server endpoint, e.g. tcp://127.0.0.1:5555')
    .argument('<method>', 'service/method, e.g. demo.Greeter/hello')
    .argument(
      '[json]',
      'the request (or a stream’s opening message): JSON, @file or @- (default: stdin for unary and server streams, else {})',
    )
    .option('-H, --header <key=value>', 'request metadata, repeatable', collect)
    .option('--timeout <ms>', 'call deadline in ms (0: none)', integer('--timeout'), 30_000)
    .addOption(kindOption())
    .option('--json', 'unary: print {"response", "trailers"} or {"error"} as one JSON line')
    .addHelpText(
      'after',
      `
Client and bidi streams read their messages as NDJSON from stdin. Values:
bytes are {"$bytes": "<base64>"}, big integers {"$bigint": "<decimal>"},
timestamps {"$date": "<ISO 8601>"}. Exit code: 0, or 64 + the RPC code.`,
    );
  withCurveOptions(command).action(
    async (endpoint: string, path: string, json: string | undefined, flags: CallFlags) => {
      const timeoutMs = flags.timeout === 0 ? Number.POSITIVE_INFINITY : flags.timeout;
      let method: DynamicMethod | undefined;
      try {
        method = await dynamicMethod(endpoint, path, {
          curve: clientCurve(flags),
          kind: flags.kind,
          timeoutMs,
        });
        const streamsIn = method.kind === 'client-stream' || method.kind === 'bidi-stream';
        const message = await readMessage(json, { stdinFree: !streamsIn, fallback: {} });
        process.exitCode = await run(method, message, { ...flags, timeout: timeoutMs });
      } catch (error) {
        if (isLocalError(error)) throw error;
        process.exitCode = showError(error, flags.json === true);
      } finally {
        await method?.close();
      }
    },
  );
}
