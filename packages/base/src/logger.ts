/**
 * The logger the xSMB packages take as their `logger` option: the subset of
 * pino's interface they call, so a pino logger (or anything with the same
 * methods: bunyan, a console adapter) plugs in as it is. The packages log
 * rare events only (connections, refused handshakes, protocol errors,
 * drains), never one line per message: the default, {@link silentLogger},
 * costs a no-op call on those events and nothing on the message path.
 */

/** Fields of one log line (pino's "merging object"). */
export type LogFields = Record<string, unknown>;

/** One log method: structured fields first, then the message (pino's order). */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * A pino-compatible logger. The packages call the four level methods with
 * `(fields, message)` and, when present, `child(bindings)` to add fields
 * such as `component` to every line.
 */
export interface Logger {
  /** Detail for debugging (e.g. a connection closed locally). */
  debug: LogMethod;
  /** Normal but notable events (connected, disconnected, drain started). */
  info: LogMethod;
  /** Something went wrong on the other side (refused handshake, malformed input). */
  warn: LogMethod;
  /** Something went wrong on this side. */
  error: LogMethod;
  /** A logger whose lines also carry `bindings`. Optional: see {@link childLogger}. */
  child?(bindings: LogFields): Logger;
}

const noop: LogMethod = () => {};

/** The default logger: drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
});

/**
 * `logger` with `bindings` added to every line: its own `child` when it has
 * one (pino's is cheap: the bindings are serialized once), else a wrapper
 * that merges them into each line's fields.
 */
export function childLogger(logger: Logger, bindings: LogFields): Logger {
  if (logger === silentLogger) return silentLogger;
  if (typeof logger.child === 'function') return logger.child(bindings);
  const wrap =
    (method: LogMethod): LogMethod =>
    (fields, message) =>
      method.call(logger, { ...bindings, ...fields }, message);
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
  };
}

/** Options of {@link ProblemLog}. */
export interface ProblemLogOptions {
  /**
   * How many problems of one kind are logged one by one; after that only a
   * summary line when the count reaches 10, 100, 1000, ... (and at `flush`).
   * @default 5
   */
  readonly first?: number;
}

/**
 * Logs repeated problems (malformed frames, ignored envelopes, drops) as
 * warnings without letting a faulty or hostile peer flood the log: the first
 * few of each kind one by one, then a summary at each power of ten, and what
 * is left unreported at {@link ProblemLog.flush} (on close). Each line has
 * `event`, the running `count` of its kind, and the caller's fields; a
 * summary line has `summary: true` and `suppressed` (lines not written since
 * the last one of that kind).
 */
export class ProblemLog {
  readonly #logger: Logger;
  readonly #first: number;
  readonly #kinds = new Map<string, { count: number; reported: number; message: string }>();

  /** @param logger where the warnings go; with {@link silentLogger} `report` does nothing. */
  constructor(logger: Logger, options: ProblemLogOptions = {}) {
    this.#logger = logger;
    this.#first = options.first ?? 5;
  }

  /**
   * Counts one problem (or `count` of them) of kind `event` and logs it when
   * its turn comes. `fields` is built only then, so callers pass a function
   * when the fields cost anything to make.
   */
  report(event: string, message: string, fields?: LogFields | (() => LogFields), count = 1): void {
    if (this.#logger === silentLogger || count <= 0) return;
    let kind = this.#kinds.get(event);
    if (kind === undefined) {
      kind = { count: 0, reported: 0, message };
      this.#kinds.set(event, kind);
    }
    const before = kind.count;
    kind.count += count;
    if (before < this.#first) {
      kind.reported = kind.count;
      const extra = typeof fields === 'function' ? fields() : fields;
      this.#logger.warn({ event, count: kind.count, ...extra }, message);
      return;
    }
    // A summary whenever the count crosses a power of ten.
    if (Math.floor(Math.log10(kind.count)) > Math.floor(Math.log10(before)))
      this.#summary(event, kind);
  }

  /** Writes a summary of each kind with problems not reported yet (call on close). */
  flush(): void {
    for (const [event, kind] of this.#kinds)
      if (kind.count > kind.reported) this.#summary(event, kind);
  }

  #summary(event: string, kind: { count: number; reported: number; message: string }): void {
    const suppressed = kind.count - kind.reported;
    kind.reported = kind.count;
    this.#logger.warn(
      { event, count: kind.count, suppressed, summary: true },
      `${kind.message} (${kind.count} so far)`,
    );
  }
}

/**
 * `options` of an underlying component (a transport) with `logger` added,
 * unless they name their own logger (so the transport can log at another
 * level) or `logger` is absent. Returns `options` itself then.
 */
export function withLogger<O extends { readonly logger?: Logger }>(
  options: O | undefined,
  logger: Logger | undefined,
): O | undefined {
  if (logger === undefined || options?.logger !== undefined) return options;
  return { ...options, logger } as O;
}
