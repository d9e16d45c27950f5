/** Timing helpers shared by the harness, the workloads and the subjects. */
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/** Thrown by {@link withTimeout}. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Settles like `promise`, or rejects with {@link TimeoutError} after `ms`. A
 * rejection of `promise` that comes after the timeout is swallowed, so a
 * timed-out step cannot crash the process later with an unhandled rejection.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: timed out after ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
