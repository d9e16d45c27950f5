/**
 * The log lines of a client or server engine (the `logger` option): rare
 * events only. Connections and refused handshakes are the transport's lines
 * (`component: 'transport'`); these carry `component: 'rpc-client'` or
 * `'rpc-server'`.
 */

import { childLogger, type Logger, ProblemLog, silentLogger } from '@xsmb/base';
import { formatPeerId, type PeerId } from '@xsmb/transport';

/** Envelopes that were not used, as the counters name them. */
export type EnvelopeProblem = 'malformed-envelope' | 'ignored-envelope';

const MESSAGES: Record<EnvelopeProblem, string> = {
  'malformed-envelope': 'malformed envelope (counted in protocolErrors)',
  'ignored-envelope': 'envelope ignored (counted in ignoredEnvelopes)',
};

/** One engine's logger and the rate limit of its protocol-error lines. */
export class RpcLog {
  /** The engine's logger, with its `component` bound. */
  readonly logger: Logger;
  /** False for the default silent logger: callers skip building fields. */
  readonly enabled: boolean;
  readonly #problems: ProblemLog;

  /**
   * @param logger the `logger` option (silent when absent).
   * @param component the `component` field of every line.
   */
  constructor(logger: Logger | undefined, component: 'rpc-client' | 'rpc-server') {
    this.enabled = logger !== undefined && logger !== silentLogger;
    this.logger = this.enabled ? childLogger(logger as Logger, { component }) : silentLogger;
    this.#problems = new ProblemLog(this.logger);
  }

  /**
   * An envelope from `endpoint` (client) that was not used: the first few
   * one by one, then summaries (`ProblemLog`). Fields: `event`, `count`,
   * `endpoint`, `detail`.
   */
  fromServer(event: EnvelopeProblem, endpoint: string, detail: string): void {
    if (this.enabled) this.#problems.report(event, MESSAGES[event], { endpoint, detail });
  }

  /** As {@link fromServer}, from a client `peer` of a server (`peer` in hex). */
  fromClient(event: EnvelopeProblem, peer: PeerId, detail: string): void {
    if (this.enabled)
      this.#problems.report(event, MESSAGES[event], () => ({ peer: formatPeerId(peer), detail }));
  }

  /** Writes the summaries of problems not reported yet (at close). */
  flush(): void {
    this.#problems.flush();
  }
}
