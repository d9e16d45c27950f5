/**
 * Polls `condition` every `intervalMs` (default 5) until it holds; rejects
 * after `timeoutMs` (default 20,000) with `what` in the message.
 */
export declare function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs?: number,
  intervalMs?: number,
): Promise<void>;
/** Rejects when `promise` does not settle within `ms`. */
export declare function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T>;
/** Collects closables and closes them in reverse order (use in afterEach). */
export declare class Resources {
  /** Registers something with a `close()`; returns it. */
  add<T extends { close(): unknown }>(item: T): T;
  /** Registers a cleanup function. */
  defer(fn: () => unknown): void;
  /** Runs every cleanup, newest first; the first error is rethrown after all ran. */
  closeAll(): Promise<void>;
}
