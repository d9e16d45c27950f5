/**
 * A minimal typed emitter, for {@link TransportEvents} by default (the
 * broker uses it with its own events). Listeners must not throw; if one
 * does, the error is swallowed so a buggy listener cannot break the socket
 * loop that emitted the event.
 */

import type { TransportEvents } from './types.js';

type Listeners<E> = { [K in keyof E]?: Set<(event: E[K]) => void> };

/** Holds the listeners of one transport (or broker). */
export class TransportEmitter<E extends object = TransportEvents> {
  private readonly listeners: Listeners<E> = {};

  /** Registers a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (event: E[K]) => void): () => void {
    let set = this.listeners[event];
    if (set === undefined) {
      set = new Set();
      this.listeners[event] = set;
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** True when someone listens, so callers can skip building an event object. */
  has(event: keyof E): boolean {
    const set = this.listeners[event];
    return set !== undefined && set.size > 0;
  }

  /** Calls every listener of `event`; errors thrown by listeners are ignored. */
  emit<K extends keyof E>(event: K, data: E[K]): void {
    const set = this.listeners[event];
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
