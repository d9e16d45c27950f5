/**
 * The one payload every subject carries, so no subject wins by moving fewer bytes.
 *
 * Request and stream messages are the same ~192-byte MessagePack object; the
 * reply to a unary call is the request echoed back. Pub/sub messages are a
 * separate 100-byte object. Every received message is checked field by field
 * against what was sent, so a subject that drops, reorders or corrupts data
 * fails instead of looking fast.
 */
import { Packr } from 'msgpackr';

/** The fixed request / stream message shape. */
export interface BenchMessage {
  id: number;
  user: { name: string; email: string };
  items: { sku: string; qty: number; price: number }[];
  ts: number;
}

/**
 * The large unary request of `unary-1mib`: an id and {@link LARGE_BLOB_BYTES}
 * bytes of ASCII text, echoed back like {@link BenchMessage}. A string (not
 * binary) so the JSON peer carries the same bytes as the MessagePack ones.
 */
export interface LargeMessage {
  id: number;
  blob: string;
}

/** What a unary call carries: the 192 B message, or the large one of `unary-1mib`. */
export type EchoMessage = BenchMessage | LargeMessage;

/** Request that opens a server stream: how many messages the server sends. */
export interface StreamRequest {
  count: number;
}

/** Reply that ends a client stream. */
export interface UploadSummary {
  /** Messages the server received. */
  count: number;
  /** Messages that failed the server's content check. */
  bad: number;
}

/** A pub/sub message (exactly {@link PUB_MESSAGE_BYTES} bytes as MessagePack). */
export interface PubMessage {
  seq: number;
  sym: string;
  px: number;
  qty: number;
  pad: string;
}

/**
 * Ids start at 2^30 so every id encodes as a MessagePack uint32: message size
 * stays constant whatever the sequence number.
 */
export const ID_BASE = 2 ** 30;

/** The sequence number of the pub/sub end marker (also a uint32, same size). */
export const PUB_END_SEQ = 2 ** 32 - 1;

const NAME = 'Ada Lovelace';
const EMAIL = 'ada@example.org';
const TS = 1732492800123;
const ITEMS: readonly { sku: string; qty: number; price: number }[] = [
  { sku: 'SKU-000101', qty: 2, price: 19.99 },
  { sku: 'SKU-000202', qty: 1, price: 5.25 },
  { sku: 'SKU-000303', qty: 12, price: 0.5 },
];
const SYM = 'XSMB';
const PX = 101.25;
const QTY = 300;
const PAD = 'x'.repeat(54);

/**
 * The MessagePack codec every msgpack subject uses. `useRecords: false` keeps
 * the encoding plain MessagePack (what a Rust or Java peer would read).
 */
export const codec = new Packr({ useRecords: false });

/** Builds message number `n` (fresh object: subjects may keep it queued). */
export function makeMessage(n: number): BenchMessage {
  return {
    id: ID_BASE + n,
    user: { name: NAME, email: EMAIL },
    items: ITEMS.map((item) => ({ sku: item.sku, qty: item.qty, price: item.price })),
    ts: TS,
  };
}

/** Builds pub/sub message number `n`; `PUB_END_SEQ - ID_BASE` gives the end marker. */
export function makePubMessage(n: number): PubMessage {
  return { seq: ID_BASE + n, sym: SYM, px: PX, qty: QTY, pad: PAD };
}

/** The pub/sub end marker. */
export function makePubEnd(): PubMessage {
  return { seq: PUB_END_SEQ, sym: SYM, px: PX, qty: QTY, pad: PAD };
}

/** Size of {@link LargeMessage.blob}: 1 MiB. */
export const LARGE_BLOB_BYTES = 1 << 20;

// One shared string: building 1 MiB per call would be measured as the subject's cost.
const BLOB = 'abcdefghijklmnopqrstuvwxyz012345'.repeat(LARGE_BLOB_BYTES / 32);

/** Builds large message number `n` (shares the one 1 MiB string). */
export function makeLargeMessage(n: number): LargeMessage {
  return { id: ID_BASE + n, blob: BLOB };
}

/** Throws {@link CheckError} unless `value` is large message number `n` with the exact blob. */
export function checkLargeMessage(value: unknown, n: number): void {
  const m = value as LargeMessage | null;
  if (typeof m !== 'object' || m === null)
    throw new CheckError(`large message ${n}: not an object`);
  if (m.id !== ID_BASE + n) throw new CheckError(`large message ${n}: id ${String(m.id)}`);
  // A decoded string is a fresh copy: this compares all 1 MiB.
  if (m.blob !== BLOB) throw new CheckError(`large message ${n}: blob differs`);
}

/** Thrown when a received message differs from what was sent. */
export class CheckError extends Error {
  override name = 'CheckError';
}

/**
 * Returns null when `value` is message number `n` with the exact fixed
 * content, otherwise a description of the first difference. Hand-written
 * rather than a deep-equal so the check costs well under a microsecond.
 */
export function diffMessage(value: unknown, n: number): string | null {
  const m = value as BenchMessage | null;
  if (typeof m !== 'object' || m === null) return `message ${n}: not an object`;
  if (m.id !== ID_BASE + n) return `message ${n}: id ${String(m.id)} != ${ID_BASE + n}`;
  if (m.ts !== TS) return `message ${n}: ts differs`;
  const user = m.user;
  if (typeof user !== 'object' || user === null || user.name !== NAME || user.email !== EMAIL) {
    return `message ${n}: user differs`;
  }
  const items = m.items;
  if (!Array.isArray(items) || items.length !== ITEMS.length) return `message ${n}: items differ`;
  for (let i = 0; i < ITEMS.length; i++) {
    const a = items[i] as { sku?: unknown; qty?: unknown; price?: unknown } | undefined;
    const b = ITEMS[i]!;
    if (!a || a.sku !== b.sku || a.qty !== b.qty || a.price !== b.price) {
      return `message ${n}: item ${i} differs`;
    }
  }
  return null;
}

/** Throws {@link CheckError} unless `value` is message number `n`. */
export function checkMessage(value: unknown, n: number): void {
  const diff = diffMessage(value, n);
  if (diff !== null) throw new CheckError(diff);
}

/**
 * Returns the pub/sub sequence offset (`seq - ID_BASE`, or -1 for the end
 * marker) or throws {@link CheckError} when the content differs.
 */
export function checkPubMessage(value: unknown): number {
  const m = value as PubMessage | null;
  if (typeof m !== 'object' || m === null || typeof m.seq !== 'number') {
    throw new CheckError('pub message: not an object with a seq');
  }
  if (m.sym !== SYM || m.px !== PX || m.qty !== QTY || m.pad !== PAD) {
    throw new CheckError(`pub message ${m.seq}: content differs`);
  }
  return m.seq === PUB_END_SEQ ? -1 : m.seq - ID_BASE;
}

/** Encoded size of a request / stream message in bytes (asserted at load). */
export const REQUEST_BYTES = codec.pack(makeMessage(0)).length;
/** Encoded size of a pub/sub message in bytes (asserted at load). */
export const PUB_MESSAGE_BYTES = codec.pack(makePubMessage(0)).length;

// Asserted at import so a change to the payload cannot silently change what
// every figure means.
if (REQUEST_BYTES !== 192 || codec.pack(makeMessage(2 ** 31)).length !== 192) {
  throw new Error(`bench payload must encode to 192 bytes, got ${REQUEST_BYTES}`);
}
if (PUB_MESSAGE_BYTES !== 100 || codec.pack(makePubEnd()).length !== 100) {
  throw new Error(`bench pub/sub message must encode to 100 bytes, got ${PUB_MESSAGE_BYTES}`);
}
