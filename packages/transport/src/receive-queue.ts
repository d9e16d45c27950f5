/**
 * The bounded queue between an event-driven socket (the zmtp engine pushes
 * messages as they are parsed) and a pull consumer (the transport's async
 * iterator). Above `high` entries it asks the socket to stop reading, below
 * half of it to read again, so a slow consumer bounds memory and the sender
 * feels TCP backpressure, as libzmq's receive high-water mark does.
 */

const COMPACT_AT = 1024;

/** A FIFO with one waiting reader and pause/resume hooks. */
export class ReceiveQueue<T> {
  private items: T[] = [];
  private head = 0;
  private reader: ((item: T | undefined) => void) | null = null;
  private paused = false;

  /**
   * @param high entries held before `pause` is called.
   * @param pause stops the socket's reads.
   * @param resume restarts them.
   */
  constructor(
    private readonly high: number,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  /** Entries waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Hands `item` to the waiting reader, or queues it. */
  push(item: T): void {
    const reader = this.reader;
    if (reader !== null) {
      this.reader = null;
      reader(item);
      return;
    }
    this.items.push(item);
    if (!this.paused && this.size >= this.high) {
      this.paused = true;
      this.pause();
    }
  }

  /** The oldest entry, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.size * 2 <= this.high) {
      this.paused = false;
      this.resume();
    }
    return item;
  }

  /** Waits for the next entry; `undefined` when {@link end} is called first. One reader at a time. */
  next(): Promise<T | undefined> {
    const item = this.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  /** Wakes the waiting reader with `undefined` and drops what is queued; returns how many. */
  end(): number {
    const n = this.size;
    this.items = [];
    this.head = 0;
    const reader = this.reader;
    this.reader = null;
    if (reader !== null) reader(undefined);
    return n;
  }
}
