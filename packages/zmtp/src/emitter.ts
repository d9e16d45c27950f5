/**
 * A minimal typed emitter (zmtp is a leaf package, so it has its own).
 * Listeners must not throw; an error thrown by one is swallowed so a buggy
 * listener cannot break the socket loop that emitted the event.
 */
type Args<T> = T extends unknown[] ? T : never;
type Listener<A> = (...args: Args<A>) => void;
type Listeners<E> = { [K in keyof E]?: Set<Listener<E[K]>> };

/** Holds the listeners of one socket; `E` maps event names to argument tuples. */
export class ZmtpEmitter<E extends object> {
  private readonly listeners: Listeners<E> = {};

  /** Registers a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
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

  /** Removes a listener registered with {@link on}. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners[event]?.delete(listener);
  }

  /** True when someone listens, so callers can skip building event data. */
  has(event: keyof E): boolean {
    const set = this.listeners[event];
    return set !== undefined && set.size > 0;
  }

  /** Calls every listener of `event`; errors thrown by listeners are ignored. */
  protected emit<K extends keyof E>(event: K, ...args: Args<E[K]>): void {
    const set = this.listeners[event];
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(...args);
      } catch {
        // Documented contract: listeners must not throw.
      }
    }
  }

  /** Drops every listener (used by `close()`). */
  protected removeAllListeners(): void {
    for (const key of Object.keys(this.listeners)) delete this.listeners[key as keyof E];
  }
}
