/**
 * The receiving end of one stream direction's flow control (docs/PROTOCOL.md,
 * "Credit"): it sends every CREDIT grant of the direction — the whole window
 * when the direction opens, then what its consumer read, once half a window
 * was read — and counts every DATA against what it granted, so a peer that
 * sends beyond its credit is caught.
 */

import type { CallLink } from './call-link.js';
import { Code, encodeCredit, Kind, RpcError } from './rpc-kit.js';

/** A flow-control window: what a receiver grants at once. */
export interface CreditWindow {
  /** Messages granted at once. */
  readonly windowMessages: number;
  /** Encoded bytes granted at once. */
  readonly windowBytes: number;
}

/** Grants credit for one direction of a stream and holds the peer to it. */
export class CreditReceiver {
  /** Credit granted and not yet spent by the peer. */
  #messages = 0;
  #bytes = 0;
  /** Read by the consumer since the last grant. */
  #consumed = 0;
  #consumedBytes = 0;
  #link: CallLink | undefined;
  #closed = false;

  /**
   * @param window what to grant at once.
   * @param peer who sends the DATA (`'client'` or `'server'`), named in the overrun error.
   */
  constructor(
    readonly window: CreditWindow,
    readonly peer: 'client' | 'server',
  ) {}

  /** True once {@link open} granted the first window. */
  get opened(): boolean {
    return this.#link !== undefined;
  }

  /** Opens the direction: grants the whole window over `link`. Only the first call does anything. */
  open(link: CallLink): void {
    if (this.#link || this.#closed) return;
    this.#link = link;
    this.#grant(this.window.windowMessages, this.window.windowBytes);
  }

  /**
   * Counts one received DATA of `size` encoded bytes. Returns the
   * `RESOURCE_EXHAUSTED` error the call must fail with when the peer had no
   * credit for it (at least one message and more than zero bytes), else
   * `undefined`.
   */
  receive(size: number): RpcError | undefined {
    if (this.#messages < 1 || this.#bytes <= 0)
      return new RpcError(Code.RESOURCE_EXHAUSTED, `the ${this.peer} sent beyond its credit`);
    this.#messages -= 1;
    this.#bytes -= size;
    return undefined;
  }

  /**
   * The consumer took one message of `size` bytes. Grants back what was read
   * once half a window (in messages or bytes) was, so CREDIT envelopes stay
   * few and ride in bursts with other traffic. Returns true when it granted.
   */
  consumed(size: number): boolean {
    this.#consumed++;
    this.#consumedBytes += size;
    const w = this.window;
    if (this.#consumed * 2 < w.windowMessages && this.#consumedBytes * 2 < w.windowBytes)
      return false;
    if (this.#closed || !this.#link) return false;
    const messages = this.#consumed;
    const bytes = this.#consumedBytes;
    this.#consumed = 0;
    this.#consumedBytes = 0;
    this.#grant(messages, bytes);
    return true;
  }

  /** The direction ended (END, failure, consumer gone): no more grants. */
  close(): void {
    this.#closed = true;
  }

  #grant(messages: number, bytes: number): void {
    this.#messages += messages;
    this.#bytes += bytes;
    const link = this.#link as CallLink;
    link.send(Kind.CREDIT, { messages, bytes }, encodeCredit(link.codec, link.id, messages, bytes));
  }
}
