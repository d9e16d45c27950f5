/**
 * Runs the system tools the fault harness drives (`ip`, `nft`, `tc`) and
 * reports their stderr when they fail, so a missing kernel feature names
 * itself in the test output.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The environment for the tools: `ip`, `nft` and `tc` live in /usr/sbin,
 * which a non-login shell's PATH may leave out.
 */
export const toolEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [process.env.PATH ?? '/usr/bin:/bin', '/usr/sbin', '/sbin'].join(':'),
};

/** A command that failed: the command line and what it printed. */
export class CommandError extends Error {
  /** The command line that failed. */
  readonly command: string;

  /**
   * @param command the command line
   * @param stderr what it printed on stderr
   * @param options the underlying failure as `cause`
   */
  constructor(command: string, stderr: string, options?: ErrorOptions) {
    super(`${command} failed: ${stderr.trim() || 'no output'}`, options);
    this.name = 'CommandError';
    this.command = command;
  }
}

/**
 * Runs `file` with `args` (no shell) and resolves with its stdout; rejects
 * with a {@link CommandError} carrying stderr.
 */
export async function run(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { timeout: 20_000, env: toolEnv });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new CommandError([file, ...args].join(' '), stderr, { cause: error });
  }
}

/** Runs `file` with `args` inside the network namespace `ns`. */
export function runIn(ns: string, file: string, args: readonly string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, file, ...args]);
}
