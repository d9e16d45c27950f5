/**
 * The client's admission control: at most `maxInFlight` calls in flight;
 * further calls wait, first come first served, for a slot (or, holding a
 * slot, for a connection), and at most `maxQueued` wait at once — beyond
 * that a call fails with `RESOURCE_EXHAUSTED` rather than queue without bound.
 */

/** A call waiting for admission. */
export interface Waiting {
  /** Its turn came (a slot was handed over, or a connection changed state). */
  wake(): void;
}

/** In-flight slots and the bounded queues of calls waiting for one or for a connection. */
export class Admission<W extends Waiting> {
  #inFlight = 0;
  readonly #forSlot: W[] = [];
  readonly #forConnection = new Set<W>();

  constructor(
    readonly maxInFlight: number,
    readonly maxQueued: number,
  ) {}

  /** Takes a slot at once if one is free and no call waits for one (the fast path). */
  tryTake(): boolean {
    if (this.#inFlight >= this.maxInFlight || this.#forSlot.length > 0) return false;
    this.#inFlight++;
    return true;
  }

  /** True when no more calls may wait. */
  get full(): boolean {
    return this.queued >= this.maxQueued;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#forSlot.length + this.#forConnection.size;
  }

  /** Queues `w` for a slot; {@link release} hands it one with `wake()`. */
  waitForSlot(w: W): void {
    this.#forSlot.push(w);
  }

  /** Queues `w` (holding a slot) until a connection changes state. */
  waitForConnection(w: W): void {
    this.#forConnection.add(w);
  }

  /** Takes `w` out of whichever queue holds it. */
  leave(w: W): void {
    const i = this.#forSlot.indexOf(w);
    if (i >= 0) this.#forSlot.splice(i, 1);
    this.#forConnection.delete(w);
  }

  /** Gives a slot back: to the first call waiting for one, else it is free. */
  release(): void {
    const next = this.#forSlot.shift();
    if (next) next.wake();
    else this.#inFlight--;
  }

  /** Wakes every call waiting for a connection, to look again (one may be up, or all failing). */
  connectionsChanged(): void {
    for (const w of [...this.#forConnection]) {
      this.#forConnection.delete(w);
      w.wake();
    }
  }

  /** Every waiting call (on close). */
  waiting(): W[] {
    return [...this.#forSlot, ...this.#forConnection];
  }
}
