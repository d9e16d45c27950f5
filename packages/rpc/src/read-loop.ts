/**
 * Reads a transport until it ends: each message goes to `handle`; after
 * each, `drain` (when the transport has one) hands over the rest of the
 * burst synchronously, saving a promise per message. A transport that ends
 * with an error just ends the loop: its 'disconnected' event (or the
 * engine's close) deals with the calls.
 */
export async function readLoop<T>(
  source: AsyncIterable<T>,
  handle: (item: T) => void,
  drain: (() => void) | undefined,
): Promise<void> {
  try {
    for await (const item of source) {
      handle(item);
      drain?.();
    }
  } catch {
    // See above: the transport's events fail the calls.
  }
}
