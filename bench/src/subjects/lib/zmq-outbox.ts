/**
 * The one writer of a zeromq socket. zeromq.js allows a single `send()` in
 * progress per socket (a second throws EBUSY), so every logical message goes
 * through this queue.
 *
 * - `batch: false` (zmq-raw): one zmq message per logical message, sent as
 *   soon as the socket is free.
 * - `batch: true` (zmq-batched): messages queued in the same event-loop turn
 *   are coalesced (the pump starts on `setImmediate`) into one frame of up to
 *   64 length-prefixed messages, as FACTS.md and DESIGN.md describe.
 *
 * Messages are queued per route (a ROUTER's peer, a topic), since a zmq
 * message goes to one destination.
 */
import { errorMessage } from '../../harness/error-message.js';
import { joinFrames } from './envelope.js';

/** The part of a zeromq socket the outbox uses. */
export interface SendSocket {
  send(message: (Buffer | Uint8Array)[]): Promise<void>;
  readonly closed: boolean;
}

/** Where queued messages go: frames put before the payload frame. */
export interface Route {
  /** Stable key of the destination (routing id bytes as latin1, topic). */
  key: string;
  /** Frames sent before the payload (`[routingId]`, `[topic]`, or none). */
  prefix: Buffer[];
}

/** Options of {@link ZmqOutbox}. */
export interface OutboxOptions {
  /** Coalesce queued messages into one frame. */
  batch: boolean;
  /** Most messages per frame when batching. Default 64. */
  maxBatchCount?: number;
  /** Most payload bytes per frame when batching. Default 256 KiB. */
  maxBatchBytes?: number;
  /** Queued messages above which `push` asks the caller to wait. Default 4096. */
  highWater?: number;
  /**
   * Re-send after EAGAIN this many times (sockets use a short `sendTimeout`
   * to dodge a lost wake-up seen in zeromq.js, see FACTS.md). Default 500.
   */
  maxRetries?: number;
}

interface RouteQueue {
  prefix: Buffer[];
  items: Uint8Array[];
  head: number;
}

/** Sends `message`, retrying on EAGAIN (the message was not queued then). */
export async function sendWithRetry(
  socket: SendSocket,
  message: (Buffer | Uint8Array)[],
  maxRetries: number,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.send(message);
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'EAGAIN' || attempt >= maxRetries || socket.closed) throw error;
    }
  }
}

/** See the module comment. */
export class ZmqOutbox {
  private readonly routes = new Map<string, RouteQueue>();
  private queued = 0;
  private pumping = false;
  private scheduled = false;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private readonly highWater: number;
  private readonly maxRetries: number;
  private readonly pumpNow = () => {
    this.scheduled = false;
    void this.pump();
  };

  constructor(
    private readonly socket: SendSocket,
    private readonly options: OutboxOptions,
    private readonly onError: (error: Error) => void,
  ) {
    this.maxCount = options.batch ? (options.maxBatchCount ?? 64) : 1;
    this.maxBytes = options.maxBatchBytes ?? 256 * 1024;
    this.highWater = options.highWater ?? 4096;
    this.maxRetries = options.maxRetries ?? 500;
  }

  /**
   * Queues one encoded message for `route`. Returns a promise when more than
   * `highWater` messages are queued: the caller should wait for it.
   */
  push(route: Route, bytes: Uint8Array): undefined | Promise<void> {
    if (this.failure) throw this.failure;
    let queue = this.routes.get(route.key);
    if (!queue) {
      queue = { prefix: route.prefix, items: [], head: 0 };
      this.routes.set(route.key, queue);
    }
    queue.items.push(bytes);
    this.queued++;
    if (!this.pumping && !this.scheduled) {
      if (this.options.batch) {
        this.scheduled = true;
        setImmediate(this.pumpNow);
      } else {
        void this.pump();
      }
    }
    if (this.queued < this.highWater) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when nothing is queued or being sent (or the outbox failed). */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued === 0 && !this.pumping && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queued > 0) {
        for (const queue of this.routes.values()) {
          if (queue.head < queue.items.length) await this.sendFrom(queue);
        }
        if (this.waiters.length > 0 && this.queued < this.highWater / 2) {
          for (const wake of this.waiters.splice(0)) wake();
        }
      }
    } catch (error) {
      this.failure = new Error(`zmq send failed: ${errorMessage(error)}`);
      this.onError(this.failure);
    } finally {
      this.pumping = false;
      // Waiters are released on failure too: their next push throws.
      for (const wake of this.waiters.splice(0)) wake();
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async sendFrom(queue: RouteQueue): Promise<void> {
    const start = queue.head;
    let end = start + 1;
    if (this.maxCount > 1) {
      let bytes = queue.items[start]!.length;
      while (end < queue.items.length && end - start < this.maxCount) {
        bytes += queue.items[end]!.length;
        if (bytes > this.maxBytes) break;
        end++;
      }
    }
    const payload =
      this.maxCount > 1 ? joinFrames(queue.items, start, end) : (queue.items[start] as Uint8Array);
    queue.head = end;
    if (queue.head === queue.items.length) {
      // Everything taken: start a fresh array instead of shifting.
      queue.items = [];
      queue.head = 0;
    } else if (queue.head >= 1024 && queue.head * 2 >= queue.items.length) {
      // A queue that never empties (a long stream) must not keep sent messages alive.
      queue.items = queue.items.slice(queue.head);
      queue.head = 0;
    }
    this.queued -= end - start;
    await sendWithRetry(
      this.socket,
      queue.prefix.length === 0 ? [payload] : [...queue.prefix, payload],
      this.maxRetries,
    );
  }
}
