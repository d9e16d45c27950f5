/**
 * Reports an error that breaks a server or publisher outside any call: it is
 * rethrown on a fresh tick, where the child's uncaughtException handler
 * reports it to the parent, which marks the cell as failed.
 */
export function reportFatal(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}
