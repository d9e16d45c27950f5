import { Code } from '@xsmb/rpc';

/** Which side of a call a span or metric describes. */
export type Side = 'client' | 'server';

/**
 * Codes that mark a server span as failed. As in the gRPC conventions, codes
 * that describe the caller's mistake or choice (`CANCELLED`,
 * `INVALID_ARGUMENT`, `NOT_FOUND`, `PERMISSION_DENIED`, …) leave the server
 * span's status unset: the server did its job. A client span fails on every
 * code but `OK`.
 */
const SERVER_FAILURES: ReadonlySet<number> = new Set<number>([
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.UNIMPLEMENTED,
  Code.INTERNAL,
  Code.UNAVAILABLE,
  Code.DATA_LOSS,
]);

/** True when `code` makes a call on `side` count as failed (status ERROR, `error.type` set). */
export function isFailure(code: number, side: Side): boolean {
  if (code === Code.OK) return false;
  return side === 'client' || SERVER_FAILURES.has(code);
}
