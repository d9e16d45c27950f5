/**
 * A FIFO on a circular array that grows by doubling (so a large bound costs
 * nothing until it is used) and never shrinks while in use: `push` and
 * `shift` are O(1) and allocate nothing in the steady state, unlike
 * `Array.prototype.shift` or an "array + head index, compact now and then"
 * queue. The bound is the caller's business ({@link BoundedQueue} has one).
 */
export class RingBuffer<T> {
  #slots: Array<T | undefined> = new Array(16);
  #head = 0;
  #count = 0;

  /** Items held. */
  get length(): number {
    return this.#count;
  }

  /** Appends one item. */
  push(item: T): void {
    if (this.#count === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#count) & (this.#slots.length - 1)] = item;
    this.#count++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#count === 0) return undefined;
    const item = this.#slots[this.#head];
    // Cleared so the buffer does not keep consumed items alive.
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#slots.length - 1);
    this.#count--;
    return item;
  }

  /** The oldest item without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this.#count === 0 ? undefined : this.#slots[this.#head];
  }

  /** The `index`-th oldest item (0 = the next `shift`); `undefined` outside `[0, length)`. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#count) return undefined;
    return this.#slots[(this.#head + index) & (this.#slots.length - 1)];
  }

  /** Removes everything (and gives the memory back); returns how many items there were. */
  clear(): number {
    const n = this.#count;
    this.#slots = new Array(16);
    this.#head = 0;
    this.#count = 0;
    return n;
  }

  #grow(): void {
    const old = this.#slots;
    const size = old.length;
    const next: Array<T | undefined> = new Array(size * 2);
    for (let i = 0; i < this.#count; i++) next[i] = old[(this.#head + i) & (size - 1)];
    this.#slots = next;
    this.#head = 0;
  }
}
