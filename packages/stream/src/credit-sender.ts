/**
 * The sending end of one stream direction's flow control (docs/PROTOCOL.md,
 * "Credit"): it adds up the peer's CREDIT grants and spends them on the DATA
 * envelopes it sends itself, so the window is counted exactly where messages
 * leave. A producer waits for credit in one way only: {@link CreditSender.wait}.
 */

import type { CallLink } from './call-link.js';
import { Code, encodeData, Kind, RpcError } from './rpc-kit.js';

const resolved: Promise<void> = Promise.resolve();

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Sends the DATA of one stream direction under the credit its receiver granted. */
export class CreditSender {
  #messages = 0;
  #bytes = 0;
  #waiters: Waiter[] = [];
  #failed = false;
  #error: unknown;

  /** @param link where the DATA envelopes go. */
  constructor(readonly link: CallLink) {}

  /**
   * True when one more DATA may be sent now: at least one message and more
   * than zero bytes of credit (a message larger than the byte window still
   * passes, alone).
   */
  get ready(): boolean {
    return this.#messages > 0 && this.#bytes > 0;
  }

  /** Adds the credit of one CREDIT envelope; wakes the waiting producers once there is enough. */
  grant(messages: number, bytes: number): void {
    this.#messages += messages;
    this.#bytes += bytes;
    if (this.#waiters.length > 0 && this.ready) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** Resolves when credit is available; rejects once the direction failed. */
  wait(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    if (this.ready) return resolved;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /**
   * Encodes `value` as DATA, spends one message and its encoded length of
   * credit, and sends it. Returns the transport's promise when the
   * connection's send queue is full (wait for it before sending more).
   * Throws when there is no credit (wait first) or the value cannot be encoded.
   */
  send(value: unknown): Promise<void> | undefined {
    if (!this.ready) throw new RpcError(Code.INTERNAL, 'stream message sent without credit');
    const link = this.link;
    const bytes = encodeData(link.codec, link.id, value);
    this.#messages -= 1;
    this.#bytes -= bytes.byteLength;
    return link.send(Kind.DATA, value, bytes);
  }

  /** Fails the current and every later wait with `error` (the first one wins). */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
