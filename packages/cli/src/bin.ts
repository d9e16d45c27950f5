#!/usr/bin/env node
/**
 * The `xsmb` executable. `CliError`s end the process with their message and
 * exit code; anything else unexpected exits 1 with its stack.
 */

import { CliError } from './exit-code.js';
import { err } from './output.js';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) {
    err(`xsmb: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if ((error as Error)?.name === 'TransportError') {
    // A bad endpoint, an address in use, a malformed key: the message says it all.
    err(`xsmb: ${(error as Error).message}`);
    process.exitCode = 1;
  } else {
    err(`xsmb: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
// Sockets and timers of a finished command must not keep the process alive
// (stdout and stderr are synchronous for files and pipes, so nothing is lost).
process.exit();
