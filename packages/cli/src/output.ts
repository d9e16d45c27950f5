/**
 * Terminal output: colours only when the stream is a TTY (and `NO_COLOR` is
 * unset), so piped output is plain and stable.
 */

import pc from 'picocolors';

/** Colour functions for stdout or stderr; identity functions when that stream is not a TTY. */
export function colors(
  stream: NodeJS.WriteStream = process.stdout,
): ReturnType<typeof pc.createColors> {
  const enabled = stream.isTTY === true && process.env.NO_COLOR === undefined;
  return pc.createColors(enabled);
}

/** Writes a line to stdout. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to stderr. */
export function err(line: string): void {
  process.stderr.write(`${line}\n`);
}
