/**
 * Observe-only hooks (metrics, logs, tracing) fanned out to several
 * listeners. A listener that throws is skipped and counted: the others still
 * run, and so does the message flow that emitted the event.
 */

/** The names of `L`'s hooks: its optional one-argument methods. */
export type HookName<L> = {
  [K in keyof L]-?: NonNullable<L[K]> extends (event: never) => unknown ? K : never;
}[keyof L] &
  string;

/** The event a hook of `L` takes. */
export type HookEvent<L, K extends HookName<L>> =
  NonNullable<L[K]> extends (event: infer E) => unknown ? E : never;

type Fn = (event: unknown) => unknown;

const NONE: readonly Fn[] = [];

/**
 * Fans events out to listener objects such as `{ onPublish?(e): void;
 * onGap?(e): void }`. Build it once; the per-hook lists are resolved on first
 * use, so emitting costs a property read and a loop.
 *
 * @example
 * const listeners = new Listeners<PubSubListener>(options.listeners);
 * if (listeners.has('onGap')) listeners.emit('onGap', { topic, missing });
 */
export class Listeners<L extends object> {
  /**
   * Listener exceptions swallowed so far. Writable: an owner that guards
   * other observe-only callbacks (event emitters) counts theirs here too.
   */
  errors = 0;
  readonly #listeners: readonly L[];
  readonly #hooks = new Map<string, readonly Fn[]>();

  /** @param listeners the listener objects, called in this order. Default: none. */
  constructor(listeners: readonly L[] = []) {
    this.#listeners = [...listeners];
  }

  /** True when some listener has hook `name`: build its event only then. */
  has(name: HookName<L>): boolean {
    return this.#resolve(name).length > 0;
  }

  /** Calls hook `name` of every listener that has it, with `event`; never throws. */
  emit<K extends HookName<L>>(name: K, event: HookEvent<L, K>): void {
    const fns = this.#resolve(name);
    for (let i = 0; i < fns.length; i++) {
      try {
        fns[i]!(event);
      } catch {
        this.errors++;
      }
    }
  }

  #resolve(name: string): readonly Fn[] {
    let fns = this.#hooks.get(name);
    if (fns === undefined) {
      const found: Fn[] = [];
      for (const l of this.#listeners) {
        // Read once: class instances have their hooks on the prototype.
        const fn = (l as Record<string, unknown>)[name];
        if (typeof fn === 'function') found.push((fn as Fn).bind(l));
      }
      fns = found.length > 0 ? found : NONE;
      this.#hooks.set(name, fns);
    }
    return fns;
  }
}
