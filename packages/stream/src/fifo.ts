/**
 * The first-in, first-out queue behind the stream's inbox and outbox. Bounds
 * are their owners' decision (credit, `maxPending`); this only keeps order
 * and keeps `shift()` O(1) without letting the array grow forever.
 */

/** Slots consumed before the array is compacted (when they are also half of it). */
const COMPACT_AT = 1024;

/** An array-backed FIFO with an O(1) amortised `shift()`. */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  /** Entries waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends one entry. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the oldest entry; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#items.length) {
      // A consumer that never quite catches up would otherwise grow the
      // array by one slot per entry for the whole stream.
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every entry, oldest first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.clear();
    return items;
  }

  /** Drops every entry. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
