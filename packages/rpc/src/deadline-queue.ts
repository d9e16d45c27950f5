/**
 * Deadlines of many calls on one timer. A timer per call costs a
 * `setTimeout`/`clearTimeout` pair and keeps the timer list long; here calls
 * sit in 1 ms buckets (a Map of Sets: O(1) add and remove) and one timer is
 * armed for the earliest bucket, found through a small min-heap of bucket
 * times. Most calls share a `timeoutMs`, so buckets are few and ordered.
 */

/** Something with a deadline. `expire` is called once, when it passes. */
export interface Expirable {
  expire(): void;
}

/** Monotonic milliseconds. */
export const now: () => number = () => performance.now();

/** Many deadlines on one timer: `add` returns a key for `remove`; each item expires once, never early. */
export class DeadlineQueue {
  readonly #buckets = new Map<number, Set<Expirable>>();
  readonly #heap: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Number.POSITIVE_INFINITY;

  /** Number of entries (for tests and stats). */
  get size(): number {
    let n = 0;
    for (const set of this.#buckets.values()) n += set.size;
    return n;
  }

  /** Schedules `item` to expire at monotonic time `at` (ms). Returns its bucket key for `remove`. */
  add(item: Expirable, at: number): number {
    const key = Math.ceil(at);
    let set = this.#buckets.get(key);
    if (!set) {
      set = new Set();
      this.#buckets.set(key, set);
      this.#push(key);
      if (key < this.#armedFor) this.#arm(key);
    }
    set.add(item);
    return key;
  }

  /** Removes `item` scheduled under `key`. Empty buckets are dropped lazily. */
  remove(item: Expirable, key: number): void {
    this.#buckets.get(key)?.delete(item);
  }

  /** Cancels everything (on close). */
  clear(): void {
    this.#buckets.clear();
    this.#heap.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #arm(key: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = key;
    this.#timer = setTimeout(this.#fire, Math.max(0, key - now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const t = now();
    while (this.#heap.length > 0) {
      const key = this.#heap[0] as number;
      const set = this.#buckets.get(key);
      if (set && set.size > 0 && key > t) {
        this.#arm(key);
        return;
      }
      this.#pop();
      if (!set) continue;
      this.#buckets.delete(key);
      for (const item of set) {
        try {
          item.expire();
        } catch {
          // An expiry handler must not stop the others.
        }
      }
    }
  };

  #push(key: number): void {
    const heap = this.#heap;
    heap.push(key);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= key) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = key;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (heap[r] as number) < (heap[l] as number) ? r : l;
      if ((heap[c] as number) >= last) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  }
}
