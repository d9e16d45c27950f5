/**
 * Cutting the next ZeroMQ message from a send queue: every writer (client,
 * server, publisher, on either engine) plans and encodes its bursts here,
 * so the wire form of a burst and of a large message is decided once.
 */

import { LARGE_TAG_FRAME, planBurst, writeBurst } from './framing.js';
import type { ResolvedBurst } from './options.js';

/** Plans and encodes bursts for one writer; reuses its plan object (no allocation per plan). */
export class BurstWriter {
  /** Logical messages the last {@link plan} put in the next ZeroMQ message. */
  count = 0;
  /** The last {@link plan} was a large message, which travels alone. */
  large = false;
  private readonly planned = { count: 0, bytes: 0 };

  /** @param limits the transport's resolved burst options. */
  constructor(readonly limits: ResolvedBurst) {}

  /**
   * Plans the next ZeroMQ message from `items[start, end)`: returns how many
   * logical messages it carries (1 for a large message).
   */
  plan(items: readonly Uint8Array[], start: number, end: number): number {
    planBurst(items, start, end, this.limits, this.planned);
    const large = this.planned.count === 0;
    this.large = large;
    this.count = large ? 1 : this.planned.count;
    return this.count;
  }

  /**
   * True when the last {@link plan} took all of the `queued` messages and is
   * not a full burst: a writer may leave it for the end of the turn, when
   * this turn's producers have added to it.
   */
  partial(queued: number): boolean {
    return !this.large && this.count === queued;
  }

  /**
   * The frames of the message the last {@link plan} made of `items` from
   * `start`, after the `prefix` frame (routing id or topic) when given.
   */
  frames(items: readonly Uint8Array[], start: number, prefix?: Uint8Array): Uint8Array[] {
    if (this.large) {
      return prefix === undefined
        ? [LARGE_TAG_FRAME, items[start]!]
        : [prefix, LARGE_TAG_FRAME, items[start]!];
    }
    const frame = writeBurst(items, start, this.count, this.planned.bytes);
    return prefix === undefined ? [frame] : [prefix, frame];
  }
}
