/** The `xsmb` command tree. */

import { createRequire } from 'node:module';
import { Command } from 'commander';
import { benchCommand } from './commands/bench.js';
import { brokerCommand } from './commands/broker.js';
import { callCommand } from './commands/call.js';
import { conformanceCommand } from './commands/conformance.js';
import { healthCommand } from './commands/health.js';
import { keygenCommand } from './commands/keygen.js';
import { pubsubCommands } from './commands/pubsub.js';
import { reflectionCommands } from './commands/reflection.js';

/** The package version, shown by `xsmb --version` (read from package.json, so it follows releases). */
export const VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;

/** Builds the `xsmb` program (commander), every command registered. */
export function createProgram(): Command {
  const program = new Command('xsmb')
    .description('The xSMB command line: call, inspect, load-test and check xSMB services')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)');
  reflectionCommands(program);
  callCommand(program);
  healthCommand(program);
  pubsubCommands(program);
  keygenCommand(program);
  benchCommand(program);
  conformanceCommand(program);
  brokerCommand(program);
  return program;
}
