/** `xsmb list <endpoint>` and `xsmb describe <endpoint> [service[/method]]`, from reflection. */

import type { ServiceReflection } from '@xsmb/rpc';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { type CurveFlags, clientCurve, withCurveOptions } from '../curve-options.js';
import { reflect } from '../dynamic-client.js';
import { CliError, isLocalError } from '../exit-code.js';
import { integer } from '../input.js';
import { toJson } from '../json-mapping.js';
import { colors, out } from '../output.js';
import { showError } from '../rpc-output.js';

interface ReflectionFlags extends CurveFlags {
  json?: boolean;
  timeout: number;
}

async function services(
  endpoint: string,
  flags: ReflectionFlags,
): Promise<ServiceReflection[] | undefined> {
  try {
    return await reflect(endpoint, { curve: clientCurve(flags), timeoutMs: flags.timeout });
  } catch (error) {
    if (isLocalError(error)) throw error;
    process.exitCode = showError(error, flags.json === true);
    return undefined;
  }
}

function table(head: string[]): Table.Table {
  // No colours in the table itself: they are added per cell when stdout is a TTY.
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

/** Registers `list` and `describe`. */
export function reflectionCommands(program: Command): void {
  const list = program
    .command('list')
    .description('list services and methods (with their kinds) through reflection')
    .argument('<endpoint>', 'server endpoint')
    .option('--json', 'print the services as JSON')
    .option('--timeout <ms>', 'deadline in ms', integer('--timeout'), 10_000);
  withCurveOptions(list).action(async (endpoint: string, flags: ReflectionFlags) => {
    const found = await services(endpoint, flags);
    if (found === undefined) return;
    if (flags.json === true) {
      out(
        JSON.stringify(
          found.map((s) => ({
            name: s.name,
            methods: s.methods.map((m) => ({ name: m.name, kind: m.kind })),
          })),
        ),
      );
      return;
    }
    const c = colors();
    const t = table(['service', 'method', 'kind']);
    for (const s of found) for (const m of s.methods) t.push([c.bold(s.name), m.name, m.kind]);
    out(t.toString());
  });

  const describe = program
    .command('describe')
    .description('describe services or one method: kinds and input/output JSON Schemas')
    .argument('<endpoint>', 'server endpoint')
    .argument('[target]', 'service or service/method (default: every service)')
    .option('--json', 'print the reflection as JSON')
    .option('--timeout <ms>', 'deadline in ms', integer('--timeout'), 10_000);
  withCurveOptions(describe).action(
    async (endpoint: string, target: string | undefined, flags: ReflectionFlags) => {
      const found = await services(endpoint, flags);
      if (found === undefined) return;
      let selected = found;
      if (target !== undefined) {
        const at = target.lastIndexOf('/');
        const serviceName = at > 0 ? target.slice(0, at) : target;
        const methodName = at > 0 ? target.slice(at + 1) : undefined;
        const service = found.find((s) => s.name === serviceName);
        if (service === undefined) throw new CliError(`no service ${serviceName}`);
        const methods =
          methodName === undefined
            ? service.methods
            : service.methods.filter((m) => m.name === methodName);
        if (methods.length === 0) throw new CliError(`no method ${target}`);
        selected = [{ name: service.name, methods }];
      }
      if (flags.json === true) {
        out(JSON.stringify(toJson(selected)));
        return;
      }
      const c = colors();
      for (const s of selected) {
        out(c.bold(`service ${s.name}`));
        for (const m of s.methods) {
          out(`  ${c.cyan(m.name)} ${m.kind}${m.idempotent ? ' idempotent' : ''}`);
          out(
            `    input:  ${m.inputSchema === undefined ? '(no schema)' : JSON.stringify(m.inputSchema)}`,
          );
          out(
            `    output: ${m.outputSchema === undefined ? '(no schema)' : JSON.stringify(m.outputSchema)}`,
          );
        }
      }
    },
  );
}
