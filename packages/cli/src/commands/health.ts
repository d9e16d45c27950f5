/** `xsmb health <endpoint> [service] [--watch]`. */

import { createClient, HealthService } from '@xsmb/rpc';
import type { Command } from 'commander';
import { type CurveFlags, clientCurve, withCurveOptions } from '../curve-options.js';
import { integer } from '../input.js';
import { colors, out } from '../output.js';
import { showError } from '../rpc-output.js';

interface HealthFlags extends CurveFlags {
  watch?: boolean;
  interval: number;
  timeout: number;
  json?: boolean;
}

function show(status: string, json: boolean): void {
  if (json) {
    out(JSON.stringify({ status }));
    return;
  }
  const c = colors();
  out(status === 'SERVING' ? c.green(status) : c.yellow(status));
}

/** Registers `health`. */
export function healthCommand(program: Command): void {
  const command = program
    .command('health')
    .description('check a server (or one of its services) through xsmb.health.v1')
    .argument('<endpoint>', 'server endpoint')
    .argument('[service]', 'a service name (default: the server)')
    .option('--watch', 'keep checking; print each change of status (also UNAVAILABLE)')
    .option('--interval <ms>', 'time between checks with --watch', integer('--interval'), 1000)
    .option('--timeout <ms>', 'deadline of each check in ms', integer('--timeout'), 10_000)
    .option('--json', 'print {"status": ...}')
    .addHelpText(
      'after',
      '\nExit code: 0 when SERVING, 1 for another status, 64 + the RPC code when the check fails.',
    );
  withCurveOptions(command).action(
    async (endpoint: string, service: string | undefined, flags: HealthFlags) => {
      const json = flags.json === true;
      const curve = clientCurve(flags);
      const client = createClient(HealthService, {
        endpoints: [endpoint],
        waitForReady: flags.watch !== true,
        retry: false,
        ...(curve === undefined ? {} : { transportOptions: { curve } }),
      });
      const request = service === undefined ? {} : { service };
      try {
        if (flags.watch !== true) {
          const { status } = await client.check(request, { timeoutMs: flags.timeout });
          show(status, json);
          process.exitCode = status === 'SERVING' ? 0 : 1;
          return;
        }
        let last: string | undefined;
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        while (!stop.signal.aborted) {
          let status: string;
          try {
            status = (await client.check(request, { timeoutMs: flags.timeout })).status;
          } catch {
            status = 'UNAVAILABLE';
          }
          if (status !== last) show(status, json);
          last = status;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, flags.interval);
            stop.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      } catch (error) {
        process.exitCode = showError(error, json);
      } finally {
        await client.close();
      }
    },
  );
}
