/**
 * A FIFO on a circular array that grows by doubling (so a large bound costs
 * nothing until it is used). `shift` is O(1), unlike `Array.prototype.shift`.
 * The bound is the caller's business.
 */
export class RingBuffer<T> {
  private slots: Array<T | undefined> = new Array(16);
  private head = 0;
  private count = 0;

  /** Items held. */
  get length(): number {
    return this.count;
  }

  /** Appends one item. */
  push(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item;
    this.count++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    // Cleared so the buffer does not keep consumed messages alive.
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count--;
    return item;
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const n = this.count;
    this.slots = new Array(16);
    this.head = 0;
    this.count = 0;
    return n;
  }

  private grow(): void {
    const old = this.slots;
    const size = old.length;
    const next: Array<T | undefined> = new Array(size * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (size - 1)];
    this.slots = next;
    this.head = 0;
  }
}
