/**
 * A subscriber's `logger` option as one more listener: refused messages and
 * gaps become warnings, the first few of each kind one by one and then
 * summaries (`ProblemLog`), so a broken or hostile publisher cannot flood
 * the log. Connections are logged by the transport.
 */

import { type Logger, ProblemLog } from '@xsmb/base';
import type { PubSubListener } from './pubsub-listener.js';

/**
 * The listener that logs a subscriber's problems on `logger` (already bound
 * to its component):
 * - `invalid-message`: `count`, `reason`, `detail`, `topic`, `publisher`.
 * - `gap`: `count` (gaps so far), `topic`, `publisher`, `expected`,
 *   `received`, `missing`.
 * Its `flush` writes the summaries not written yet (call it at close).
 */
export function logListener(logger: Logger): PubSubListener & { flush(): void } {
  const problems = new ProblemLog(logger);
  return {
    onInvalid: (e) =>
      problems.report('invalid-message', 'message refused (counted in invalid)', () => ({
        reason: e.reason,
        detail: e.message,
        topic: e.topic,
        publisher: e.publisher,
      })),
    onGap: (e) =>
      problems.report('gap', 'messages missing from a stream (counted in gaps)', () => ({
        topic: e.topic,
        publisher: e.publisher,
        expected: e.expected,
        received: e.received,
        missing: e.missing,
      })),
    /** Writes the summaries not written yet (at close). */
    flush: () => problems.flush(),
  };
}
