/**
 * The producer loop shared by the server's sending direction (a handler's
 * AsyncIterable) and a client whose interceptor replaced the outgoing
 * messages: pull one message only when there is credit for it, send it, and
 * wait whenever the connection's send queue is full.
 */

import type { CreditSender } from './credit-sender.js';

/** Messages a producer sends between two yields to the event loop. */
const YIELD_EVERY = 128;

/** Resolves after pending I/O callbacks and the transport's setImmediate flush have run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sends what `source` yields under `credit` until it is done (resolves
 * `true`) or `stopped()` turns true (resolves `false`, without pulling
 * more). Rejects when the source throws, the credit fails, or a message
 * cannot be encoded; the caller stops the source then.
 */
export async function pump(
  source: AsyncIterator<unknown>,
  credit: CreditSender,
  stopped: () => boolean,
): Promise<boolean> {
  let sent = 0;
  for (;;) {
    if (!credit.ready) await credit.wait();
    if (stopped()) return false;
    const r = await source.next();
    if (r.done) return true;
    if (stopped()) return false;
    // Awaited only when the connection's send queue is full: the credit
    // bounds one stream, but not a thousand streams on one connection; an
    // await per message would halve the rate. Waiting here keeps this
    // producer's share of the queue to one message.
    const held = credit.send(r.value);
    if (held) await held;
    // A source that never awaits would keep this loop in one macrotask until
    // the credit runs out: the transport could not flush meanwhile and the
    // receiver would sit idle. Yield every so often so bursts go out while
    // we keep producing.
    if (++sent % YIELD_EVERY === 0) await yieldToEventLoop();
  }
}
