/** The `xsmb` command tree. */

import { Command } from 'commander';
import { benchCommand } from './commands/bench.js';
import { brokerCommand } from './commands/broker.js';
import { callCommand } from './commands/call.js';
import { conformanceCommand } from './commands/conformance.js';
import { healthCommand } from './commands/health.js';
import { keygenCommand } from './commands/keygen.js';
import { pubsubCommands } from './commands/pubsub.js';
import { reflectionCommands } from './commands/reflection.js';

/** The package version, shown by `xsmb --version`. */
export const VERSION = '0.1.0';

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
