/**
 * The small wire protocol shared by the hand-written peers (zmq-raw,
 * zmq-batched, net-raw): each logical message is a MessagePack array
 * `[kind, callId, body?]`, encoded once. Calls are multiplexed by call id,
 * as a real RPC protocol does, so the raw peers pay for correlation like
 * every other subject.
 *
 * Batches (zmq-batched, and net-raw's framing) put a u32 big-endian length
 * before each encoded message.
 */

/** Envelope kinds. Client → server: 1–4; server → client: 11–15. */
export const Kind = {
  unary: 1,
  streamOpen: 2,
  uploadData: 3,
  uploadEnd: 4,
  reply: 11,
  streamData: 12,
  streamEnd: 13,
  uploadReply: 14,
  error: 15,
} as const;

/** A decoded envelope. */
export type Envelope = [kind: number, callId: number, body?: unknown];

/** Largest frame the peers accept (guards the length prefix). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Concatenates messages, each behind a u32 BE length, into one buffer. */
export function joinFrames(messages: readonly Uint8Array[], start: number, end: number): Buffer {
  let total = 0;
  for (let i = start; i < end; i++) total += 4 + messages[i]!.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = start; i < end; i++) {
    const m = messages[i]!;
    out.writeUInt32BE(m.length, at);
    out.set(m, at + 4);
    at += 4 + m.length;
  }
  return out;
}

/**
 * Iterates the length-prefixed messages of a complete batch. Throws on a
 * truncated or oversized entry.
 */
export function* splitFrames(batch: Buffer): Generator<Buffer> {
  let at = 0;
  while (at < batch.length) {
    if (batch.length - at < 4) throw new Error('batch: truncated length prefix');
    const length = batch.readUInt32BE(at);
    if (length > MAX_FRAME_BYTES || at + 4 + length > batch.length) {
      throw new Error('batch: entry overruns the frame');
    }
    yield batch.subarray(at + 4, at + 4 + length);
    at += 4 + length;
  }
}
