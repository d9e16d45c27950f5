/** `xsmb conformance <endpoint>` and `xsmb conformance serve`. */

import type { Command } from 'commander';
import { runConformance, type ScenarioResult } from '../conformance/runner.js';
import { serveConformance } from '../conformance/test-server.js';
import { type CurveFlags, clientCurve, serverCurve, withCurveOptions } from '../curve-options.js';
import { CliError } from '../exit-code.js';
import { integer } from '../input.js';
import { colors, out } from '../output.js';

interface RunFlags extends CurveFlags {
  json?: boolean;
  skipDrain?: boolean;
  only?: string;
  patience: number;
  quiet: number;
}

/** Registers `conformance` and `conformance serve`. */
export function conformanceCommand(program: Command): void {
  const conformance = program
    .command('conformance')
    .description(
      'run the conformance scenarios against an xsmb.conformance.v1.TestService (docs/CONFORMANCE.md)',
    )
    .argument('[endpoint]', 'the implementation under test')
    .option('--json', 'print {"results": [...], "passed", "failed"} instead of PASS/FAIL lines')
    .option('--skip-drain', 'skip the GOAWAY scenario (it shuts the server down)')
    .option('--only <text>', 'only the scenarios whose name contains <text>')
    .option(
      '--patience <ms>',
      'how long the server may take to show an effect',
      integer('--patience'),
      5000,
    )
    .option('--quiet <ms>', 'how long to watch for a credit overrun', integer('--quiet'), 300)
    .addHelpText(
      'after',
      '\nOne PASS/FAIL line per scenario; exit code 1 when any fails. `xsmb conformance serve`\nruns the TypeScript implementation.',
    );
  withCurveOptions(conformance).action(async (endpoint: string | undefined, flags: RunFlags) => {
    if (endpoint === undefined)
      throw new CliError('conformance needs an endpoint (or: conformance serve)');
    const c = colors();
    const json = flags.json === true;
    const show = (r: ScenarioResult) => {
      if (json) return;
      out(r.ok ? `${c.green('PASS')}  ${r.name}` : `${c.red('FAIL')}  ${r.name}: ${r.error}`);
    };
    const results = await runConformance(endpoint, {
      curve: clientCurve(flags),
      skipDrain: flags.skipDrain === true,
      only: flags.only,
      patienceMs: flags.patience,
      quietMs: flags.quiet,
      onResult: show,
    });
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    if (json) out(JSON.stringify({ results, passed, failed }));
    else out(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });

  const serve = conformance
    .command('serve')
    .description('serve the TypeScript implementation of the conformance test service')
    .option('--listen <endpoint>', 'where to bind', 'tcp://127.0.0.1:0')
    .addHelpText(
      'after',
      '\nPrints {"endpoint": ...} when bound. Exits 0 on SIGINT/SIGTERM, or once a `drain` call\n(the GOAWAY scenario) has shut it down.',
    );
  withCurveOptions(serve).action(async (flags: CurveFlags & { listen: string }) => {
    const curve = serverCurve(flags);
    const { endpoint, server, drained } = await serveConformance({
      endpoint: flags.listen,
      ...(curve === undefined ? {} : { curve }),
    });
    out(JSON.stringify({ endpoint }));
    await Promise.race([
      drained,
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }),
    ]);
    await server.close({ graceMs: 1000 });
  });
}
