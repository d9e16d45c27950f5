/**
 * The service the fault suite calls on a server host. Its methods report
 * what the server saw (handler runs per request id, publisher counters), so
 * a test can check exactly what crossed the faulty network.
 */

import { defineTopic } from '@xsmb/pubsub';
import { defineService, unary } from '@xsmb/rpc';
import { clientStream, serverStream } from '@xsmb/stream';

/** What the server saw of `record` calls. */
export interface RecordTally {
  /** Handler runs over all ids. */
  readonly runs: number;
  /** Distinct ids. */
  readonly ids: number;
  /** Ids whose handler ran more than once. */
  readonly duplicated: readonly string[];
}

/** The probe service served by `server-main.ts`. */
export const Probe = defineService('xsmb.faults.Probe', {
  /** Answers at once (idempotent: the client may retry it). */
  ping: unary<{ n: number }, { n: number }>({ idempotent: true }),
  /** Sleeps `ms` (or until cancelled), then answers. */
  sleep: unary<{ ms: number }, { slept: number }>(),
  /**
   * Not idempotent: counts one handler run for `id` (a real service would
   * charge a card here). Running twice for one id is the bug to catch.
   */
  record: unary<{ id: string }, { runs: number }>(),
  /** The tally of `record` runs. */
  tally: unary<Record<string, never>, RecordTally>({ idempotent: true }),
  /** `count` items of `bytes` bytes each, numbered from 0, `intervalMs` apart (0: as fast as credit allows). */
  ticks: serverStream<
    { count: number; bytes: number; intervalMs?: number },
    { n: number; pad: Uint8Array }
  >(),
  /** Receives numbered chunks; answers how many, their sum, and whether they came in order. */
  upload: clientStream<Record<string, never>, { n: number }, { count: number; inOrder: boolean }>(),
  /** Publishes `count` messages on {@link Feed}, `intervalMs` apart, in the background. */
  publish: unary<{ count: number; intervalMs: number }, { started: boolean }>(),
  /** The publisher's counters once its background publishing has finished (or now). */
  pubStats: unary<
    { waitDone: boolean },
    { published: number; unmatched: number; dropped: number; done: boolean }
  >({ idempotent: true }),
});

/** The topic `publish` sends on: its `n` counts from 1. */
export const Feed = defineTopic<{ n: number }>('faults.feed');
