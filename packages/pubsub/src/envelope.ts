/**
 * The pub/sub message envelope: the bytes of one logical message inside a
 * burst entry (or a large message). docs/PROTOCOL.md, "Pub/sub messages", is
 * the normative description; test/vectors/envelopes.json holds its test
 * vectors, checked byte for byte.
 *
 *   envelope = [version, publisherId, seq, metadata | nil, value]
 *
 * The topic and key are not repeated inside: the topic frame carries them
 * once per ZeroMQ message, and one source of truth cannot disagree with itself.
 */

import { checkMetadata, type Metadata } from '@xsmb/base';
import { type Codec, createMsgpackCodec } from '@xsmb/codec';

/** The envelope version this implementation speaks (element 0). */
export const ENVELOPE_VERSION = 1;

/** Length of a publisher id in bytes (element 1, a MessagePack `bin 8`). */
export const PUBLISHER_ID_BYTES = 8;

/** Largest sequence number: the largest integer a double holds exactly (2^53 - 1). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Number of elements of a version 1 envelope; later revisions may append more. */
export const ENVELOPE_FIELDS = 5;

/** The transport's default `maxMessageBytes` (16 MiB), mirrored for the codec's limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The codec publishers and subscribers use when given none: standard
 * MessagePack, safe decoding of untrusted input, and `maxBytes` = the
 * transport's `maxMessageBytes`, so an oversize value is refused by the codec
 * (before a publisher numbers it).
 */
export function defaultEnvelopeCodec(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Codec {
  return createMsgpackCodec({ maxBytes: maxMessageBytes });
}

/**
 * Why a received message was refused.
 * - `malformed`: the envelope is not one well-formed MessagePack value (or breaks the codec's limits).
 * - `version`: the envelope's version is not {@link ENVELOPE_VERSION}.
 * - `envelope`: not an array of at least 5 elements, or a bad publisher id or sequence number.
 * - `metadata`: metadata that is not a map of valid keys to strings or bytes, or
 *   is over a limit of `MetadataLimits` (`@xsmb/base`, the same as RPC's).
 * - `validation`: the topic's schema rejected the value.
 */
export type InvalidReason = 'malformed' | 'version' | 'envelope' | 'metadata' | 'validation';

/** A decoded, checked envelope. */
export interface Envelope {
  /** The publisher instance that sent it (8 bytes). */
  readonly publisherId: Uint8Array;
  /** Its sequence number within (publisher, topic, key), from 1. */
  readonly seq: number;
  /** Its metadata; `undefined` when it had none. */
  readonly metadata: Metadata | undefined;
  /** The message value, as decoded (not validated). */
  readonly value: unknown;
}

/** The outcome of {@link decodeEnvelope}. */
export type DecodedEnvelope =
  | { readonly ok: true; readonly envelope: Envelope }
  | {
      readonly ok: false;
      readonly reason: InvalidReason;
      readonly message: string;
      readonly error?: unknown;
    };

/**
 * Encodes one envelope. `metadata` should be checked ({@link checkMetadata})
 * and non-empty; empty or absent metadata is written as nil.
 */
export function encodeEnvelope(
  codec: Codec,
  publisherId: Uint8Array,
  seq: number,
  metadata: Metadata | undefined,
  value: unknown,
): Uint8Array {
  return codec.encode([ENVELOPE_VERSION, publisherId, seq, metadata ?? null, value]);
}

/**
 * Checks a decoded value against the envelope layout. Returns `undefined`
 * when it is a valid version 1 envelope, otherwise why not.
 */
export function checkEnvelope(
  value: unknown,
): { readonly reason: InvalidReason; readonly message: string } | undefined {
  if (!Array.isArray(value) || value.length < 1) {
    return { reason: 'envelope', message: 'envelope is not a non-empty array' };
  }
  const version = value[0];
  if (version !== ENVELOPE_VERSION) {
    return {
      reason: 'version',
      message: `unsupported envelope version ${stringify(version)}; this subscriber speaks ${ENVELOPE_VERSION}`,
    };
  }
  if (value.length < ENVELOPE_FIELDS) {
    return {
      reason: 'envelope',
      message: `envelope has ${value.length} elements, needs ${ENVELOPE_FIELDS}`,
    };
  }
  const id = value[1];
  if (!(id instanceof Uint8Array) || id.length !== PUBLISHER_ID_BYTES) {
    return { reason: 'envelope', message: 'publisher id is not 8 bytes of binary' };
  }
  const seq = value[2];
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) {
    return { reason: 'envelope', message: `invalid sequence number ${stringify(seq)}` };
  }
  const problem = checkMetadata(value[3]);
  if (problem !== undefined) return { reason: 'metadata', message: problem };
  return undefined;
}

/**
 * Decodes and checks one envelope; never throws. The subscriber runs the same
 * steps inline; this is the reference for tests and tools.
 */
export function decodeEnvelope(codec: Codec, bytes: Uint8Array): DecodedEnvelope {
  let value: unknown;
  try {
    value = codec.decode(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: 'malformed', message, error };
  }
  const problem = checkEnvelope(value);
  if (problem !== undefined) return { ok: false, ...problem };
  const fields = value as unknown[];
  const metadata = fields[3];
  return {
    ok: true,
    envelope: {
      publisherId: fields[1] as Uint8Array,
      seq: fields[2] as number,
      metadata: metadata === null || metadata === undefined ? undefined : (metadata as Metadata),
      value: fields[4],
    },
  };
}

function stringify(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value)?.slice(0, 64) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Output of {@link readCompactHeader}; reused between calls to spare an allocation. */
export interface CompactHeader {
  /** The sequence number. */
  seq: number;
  /** Offset of the value in the envelope bytes. */
  valueOffset: number;
}

/**
 * Reads the header of an envelope in the form xSMB writes when there is no
 * metadata — `0x95 0x01 0xc4 0x08 <8 bytes> <uint seq> 0xc0` — straight from
 * the bytes, so only the value goes through the MessagePack decoder. The
 * publisher id is at offset 4. Returns false for any other form (metadata,
 * other integer widths or array headers another implementation may write, or
 * garbage): the caller then decodes the whole envelope. `start` and `end`
 * delimit the envelope within `bytes` (a received burst frame); `valueOffset`
 * is relative to `start`.
 */
export function readCompactHeader(
  bytes: Uint8Array,
  out: CompactHeader,
  start = 0,
  end = bytes.length,
): boolean {
  const length = end - start;
  const b = start;
  if (
    length < 15 ||
    bytes[b] !== 0x95 ||
    bytes[b + 1] !== ENVELOPE_VERSION ||
    bytes[b + 2] !== 0xc4 ||
    bytes[b + 3] !== PUBLISHER_ID_BYTES
  ) {
    return false;
  }
  const tag = bytes[b + 12]!;
  let seq: number;
  let at: number;
  if (tag <= 0x7f) {
    seq = tag;
    at = 13;
  } else if (tag === 0xcc) {
    seq = bytes[b + 13]!;
    at = 14;
  } else if (tag === 0xcd) {
    seq = (bytes[b + 13]! << 8) | bytes[b + 14]!;
    at = 15;
  } else if (tag === 0xce) {
    if (length < 18) return false;
    seq =
      bytes[b + 13]! * 0x100_0000 +
      ((bytes[b + 14]! << 16) | (bytes[b + 15]! << 8) | bytes[b + 16]!);
    at = 17;
  } else {
    return false;
  }
  // Metadata must be nil and a value must follow.
  if (seq === 0 || at + 1 >= length || bytes[b + at] !== 0xc0) return false;
  out.seq = seq;
  out.valueOffset = at + 1;
  return true;
}
