/**
 * The last sequence number seen per stream (publisher, topic frame), to
 * count lost messages exactly.
 *
 * Rules (docs/PROTOCOL.md, "Pub/sub messages"):
 * - The first message of a stream sets the baseline: messages before it were
 *   published before this subscriber subscribed (or joined), not lost.
 * - `seq = last + 1`: in order. `seq > last + 1`: `seq - last - 1` messages
 *   were lost (a gap). `seq <= last`: the stream restarted or arrived by a
 *   second path; the baseline is reset, nothing is counted.
 * - The table is bounded: past `maxStreams` the least recently created stream
 *   is forgotten (it re-baselines if it speaks again).
 */

/** The state of one stream. */
export interface StreamState {
  /** Last sequence number seen. */
  last: number;
}

/** Sequence state per (publisher id hex, topic frame latin1). */
export class SequenceTracker {
  private readonly streams = new Map<string, StreamState>();
  private readonly maxStreams: number;
  // One-entry cache: consecutive messages usually come from one stream (a
  // burst is one topic frame of one publisher).
  private lastState: StreamState | undefined;
  private lastPublisher = '';
  private lastFrameKey = '';

  constructor(maxStreams: number) {
    this.maxStreams = maxStreams;
  }

  /** Streams tracked right now. */
  get size(): number {
    return this.streams.size;
  }

  /** The state of a stream, created (with `last` 0: no baseline yet) when new. */
  state(publisher: string, frameKey: string): StreamState {
    // The publisher id is always 16 hex digits, so the concatenation is unambiguous.
    const id = publisher + frameKey;
    let state = this.streams.get(id);
    if (state === undefined) {
      if (this.streams.size >= this.maxStreams) {
        const oldest = this.streams.keys().next();
        if (oldest.done !== true) this.streams.delete(oldest.value);
        // The evicted stream may be the cached one.
        this.lastState = undefined;
      }
      state = { last: 0 };
      this.streams.set(id, state);
    }
    return state;
  }

  /**
   * Applies sequence number `seq` of stream (`publisher`, `frameKey`); returns
   * how many messages of it were lost before this one (see {@link advance}).
   */
  next(publisher: string, frameKey: string, seq: number): number {
    let state = this.lastState;
    if (state === undefined || frameKey !== this.lastFrameKey || publisher !== this.lastPublisher) {
      state = this.state(publisher, frameKey);
      this.lastState = state;
      this.lastPublisher = publisher;
      this.lastFrameKey = frameKey;
    }
    return advance(state, seq);
  }

  /**
   * Forgets streams whose topic frame no longer matches any of `prefixes`
   * (latin1): after an unsubscribe their messages are filtered out upstream,
   * so a later re-subscription must not count those as lost.
   */
  retain(prefixes: readonly string[]): void {
    this.lastState = undefined;
    for (const id of this.streams.keys()) {
      const frame = id.slice(16);
      if (!prefixes.some((p) => frame.startsWith(p))) this.streams.delete(id);
    }
  }
}

/**
 * Applies one sequence number to a stream; returns how many messages were
 * lost before it (0 when in order, new, or restarted).
 */
export function advance(state: StreamState, seq: number): number {
  const last = state.last;
  state.last = seq;
  if (last === 0 || seq <= last) return 0;
  return seq - last - 1;
}
