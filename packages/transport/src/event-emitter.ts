/**
 * A minimal typed emitter for {@link TransportEvents}. Listeners must not
 * throw; if one does, the error is swallowed so a buggy listener cannot break
 * the socket loop that emitted the event.
 */

import type { TransportEvents, TransportListener } from './types.js';

type Listeners = { [K in keyof TransportEvents]?: Set<TransportListener<K>> };

/** Holds the listeners of one transport. */
export class TransportEmitter {
  private readonly listeners: Listeners = {};

  /** Registers a listener; returns a function that removes it. */
  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    let set = this.listeners[event] as Set<TransportListener<K>> | undefined;
    if (set === undefined) {
      set = new Set();
      (this.listeners as Record<string, Set<TransportListener<K>>>)[event] = set;
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** True when someone listens, so callers can skip building an event object. */
  has(event: keyof TransportEvents): boolean {
    const set = this.listeners[event];
    return set !== undefined && set.size > 0;
  }

  /** Calls every listener of `event`; errors thrown by listeners are ignored. */
  emit<K extends keyof TransportEvents>(event: K, data: TransportEvents[K]): void {
    const set = this.listeners[event] as Set<TransportListener<K>> | undefined;
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(data);
      } catch {
        // Documented contract: listeners must not throw.
      }
    }
  }
}
