// Test helpers shared by the packages' integration tests: bounded waits on
// conditions (never sleeps as synchronisation) and resource cleanup.

/**
 * Polls `condition` every `intervalMs` until it holds; rejects after
 * `timeoutMs` with `what` in the message.
 */
export async function waitFor(condition, what, timeoutMs = 20_000, intervalMs = 5) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Rejects when `promise` does not settle within `ms`. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Collects closables and closes them in reverse order (use in afterEach). */
export class Resources {
  #items = [];

  /** Registers something with a `close()`; returns it. */
  add(item) {
    this.#items.push(() => item.close());
    return item;
  }

  /** Registers a cleanup function. */
  defer(fn) {
    this.#items.push(fn);
  }

  /** Runs every cleanup, newest first; the first error is rethrown after all ran. */
  async closeAll() {
    const errors = [];
    while (this.#items.length > 0) {
      const fn = this.#items.pop();
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
