/**
 * Exit codes of `xsmb`: 0 success, 1 a local failure (bad arguments, an
 * unreachable endpoint before any call, a failed check), and 64 + the RPC
 * code when a call ended with an `RpcError` (`NOT_FOUND` 5 exits 69,
 * `DEADLINE_EXCEEDED` 4 exits 68), as grpcurl does, so scripts can branch on
 * the code without parsing output.
 */

/** Offset added to an RPC code to form the exit code. */
export const RPC_EXIT_BASE = 64;

/** The exit code for a call that failed with RPC code `code`. */
export function exitCodeFor(code: number): number {
  return RPC_EXIT_BASE + code;
}

/** An error that ends the command with a message on stderr and `exitCode`. */
export class CliError extends Error {
  /**
   * @param message printed on stderr as `xsmb: <message>`
   * @param exitCode the process exit code (default 1)
   */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * True for errors that are not a call's outcome (bad arguments, a bad
 * endpoint): they end the command with exit code 1, not 64 + a code.
 */
export function isLocalError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'CliError' || name === 'TransportError';
}
