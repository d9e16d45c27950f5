/**
 * Per-call values that interceptors, handlers and observers share, typed by
 * their key (as connect-es's `ContextValues`): a client interceptor can hand
 * something to an inner one, a server interceptor to the handler
 * (`ctx.contextValues`), a caller to its interceptors (`CallOptions.contextValues`).
 * Values stay in the process: nothing here goes on the wire (use metadata for that).
 */

/** A typed key; create it once with {@link createContextKey} and share it. */
export interface ContextKey<T> {
  /** The identity of the key. */
  readonly id: symbol;
  /** What `get` returns when no value is set. */
  readonly defaultValue: T;
}

/** The values of one call. */
export interface ContextValues {
  /** The value under `key`, or the key's default. */
  get<T>(key: ContextKey<T>): T;
  /** Sets the value under `key`; chainable. */
  set<T>(key: ContextKey<T>, value: T): ContextValues;
  /** Removes the value under `key` (`get` returns the default again); chainable. */
  delete(key: ContextKey<unknown>): ContextValues;
}

/**
 * Creates a key. `description` names it in debuggers.
 *
 * @example
 * const kUser = createContextKey<string | undefined>(undefined, { description: 'user' });
 * // in a server interceptor: request.contextValues.set(kUser, 'ada');
 * // in the handler: ctx.contextValues.get(kUser)
 */
export function createContextKey<T>(
  defaultValue: T,
  options?: { description?: string },
): ContextKey<T> {
  return { id: Symbol(options?.description), defaultValue };
}

class Values implements ContextValues {
  // Created on the first set: most calls never store anything.
  #map: Map<symbol, unknown> | undefined;

  get<T>(key: ContextKey<T>): T {
    const map = this.#map;
    return map?.has(key.id) ? (map.get(key.id) as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): ContextValues {
    this.#map ??= new Map();
    this.#map.set(key.id, value);
    return this;
  }

  delete(key: ContextKey<unknown>): ContextValues {
    this.#map?.delete(key.id);
    return this;
  }
}

/** Creates an empty set of values (the engines make one per call unless the caller passes one). */
export function createContextValues(): ContextValues {
  return new Values();
}
