/**
 * The server's concurrency limit: at most `maxConcurrency` handlers run at
 * once; further calls wait in a FIFO of at most `maxQueued`, and beyond that
 * are refused. A call whose deadline passed while it waited is not run.
 */

import { now } from './deadline-queue.js';
import type { ServerCallRecord } from './server-call.js';

/** Running handlers and the queue of calls waiting to run. */
export class ServerAdmission {
  running = 0;
  /** Calls that expired in the queue and were never run. */
  expiredInQueue = 0;
  readonly #queue: ServerCallRecord[] = [];
  #idle: (() => void) | undefined;

  constructor(
    readonly maxConcurrency: number,
    readonly maxQueued: number,
    /** Starts a call's handler. */
    readonly run: (call: ServerCallRecord) => void,
  ) {}

  /** Calls waiting now. */
  get queued(): number {
    return this.#queue.length;
  }

  /** True when one more call may run or wait (else it is refused). */
  get open(): boolean {
    return this.running < this.maxConcurrency || this.#queue.length < this.maxQueued;
  }

  /** Runs `call` now, or queues it (check {@link open} first). */
  admit(call: ServerCallRecord): void {
    if (this.running < this.maxConcurrency) this.#start(call);
    else {
      call.queued = true;
      this.#queue.push(call);
    }
  }

  /** `call` is over: give back its slot if it ran, or take it out of the queue if it never did. */
  settled(call: ServerCallRecord): void {
    if (call.queued) {
      call.queued = false;
      this.#queue.splice(this.#queue.indexOf(call), 1);
      this.expiredInQueue++;
    }
    if (call.running) {
      this.running--;
      this.#next();
    }
  }

  /** Resolves when nothing runs or waits, or after `graceMs`. */
  idle(graceMs: number): Promise<void> {
    if (this.running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, graceMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#idle = undefined;
        resolve();
      }
      this.#idle = done;
    });
  }

  #start(call: ServerCallRecord): void {
    this.running++;
    call.markRunning();
    this.run(call);
  }

  #next(): void {
    while (this.running < this.maxConcurrency && this.#queue.length > 0) {
      const call = this.#queue.shift() as ServerCallRecord;
      call.queued = false;
      // Its deadline may have passed while it waited, before the timer fired: don't run it.
      if (call.deadlineAt <= now()) {
        this.expiredInQueue++;
        call.expire();
        continue;
      }
      this.#start(call);
    }
    if (this.running === 0 && this.#queue.length === 0) this.#idle?.();
  }
}
