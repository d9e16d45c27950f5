/**
 * The benchmark payload: one 100-byte MessagePack object, the same for every
 * variant, so no variant wins by moving fewer bytes.
 */

/** A price tick (exactly {@link MESSAGE_BYTES} bytes as MessagePack). */
export interface Tick {
  seq: number;
  sym: string;
  px: number;
  qty: number;
  pad: string;
}

/** Size of one encoded tick. */
export const MESSAGE_BYTES = 100;

/** Sequence numbers start here so every one encodes as uint32: constant size. */
export const SEQ_BASE = 2 ** 30;

/** A fresh tick; the bench mutates `seq` and re-encodes it for every message. */
export function makeTick(): Tick {
  // 42 bytes of MessagePack around the padding: fixmap, keys, uint32, fixstr,
  // float64, fixint, str8 header.
  return { seq: SEQ_BASE, sym: 'XSMB', px: 101.25, qty: 7, pad: 'x'.repeat(MESSAGE_BYTES - 42) };
}
