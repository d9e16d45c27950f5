/**
 * `xsmb.conformance.v1.TestService`: the standard service a peer implements
 * so that `xsmb conformance <endpoint>` can check it (docs/CONFORMANCE.md).
 */

import { defineService, unary } from '@xsmb/rpc';
import { bidiStream, clientStream, serverStream } from '@xsmb/stream';

/** The service name on the wire. */
export const TEST_SERVICE_NAME = 'xsmb.conformance.v1.TestService';

/** What a `sleep` call became, as `status` reports it. */
export type SleepStatus = 'unknown' | 'running' | 'completed' | 'cancelled' | 'deadline';

/** The window of `hold` (client → server), in messages: small, so overruns are quick to provoke. */
export const HOLD_WINDOW_MESSAGES = 16;

/** The standard conformance test service (see docs/CONFORMANCE.md for each method's contract). */
export const TestService = defineService(TEST_SERVICE_NAME, {
  /** Returns the request unchanged. */
  echo: unary<unknown, unknown>(),
  /** Fails with the requested code, message, details and trailers. */
  fail: unary<
    { code: number; message: string; details?: unknown; trailers?: Record<string, string> },
    never
  >(),
  /** Sleeps `ms`, ending early when cancelled or at its deadline; `status` tells which. */
  sleep: unary<{ id: string; ms: number }, { slept: number }>(),
  /** The status of the `sleep` call `id`, waiting up to `waitMs` while it is one of `waitWhile`. */
  status: unary<
    { id: string; waitWhile?: SleepStatus[]; waitMs?: number },
    { status: SleepStatus }
  >(),
  /** The handler's remaining budget in ms (`null` without a deadline). */
  deadline: unary<Record<string, never>, { remainingMs: number | null }>(),
  /** Returns the request metadata and sends it back as trailers. */
  metadata: unary<Record<string, never>, { metadata: Record<string, unknown> }>(),
  /** Streams `n` messages `{ i, data }`, `data` being `size` bytes. */
  count: serverStream<{ n: number; size: number }, { i: number; data: Uint8Array }>(),
  /** Counts the chunks the client sends. */
  total: clientStream<Record<string, never>, unknown, { count: number }>(),
  /** Grants its window of 16 messages and reads nothing until the call ends. */
  hold: clientStream<Record<string, never>, unknown, { count: number }>({
    windowMessages: HOLD_WINDOW_MESSAGES,
  }),
  /** Echoes every message. */
  chat: bidiStream<Record<string, never>, unknown, unknown>(),
  /** Starts a graceful shutdown (GOAWAY) with `graceMs` for running calls. */
  drain: unary<{ graceMs: number }, Record<string, never>>(),
});
