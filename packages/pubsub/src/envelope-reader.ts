/**
 * The subscriber's envelope reader: the steps of `decodeEnvelope`, tuned for
 * the hot path. xSMB's own form without metadata is read straight from the
 * bytes (only the value goes through the codec); runs of messages from one
 * publisher share one hex id string; the result goes to a reused object.
 */

import { EMPTY_METADATA, type Metadata } from '@xsmb/base';
import type { Codec } from '@xsmb/codec';
import {
  type CompactHeader,
  checkEnvelope,
  type InvalidReason,
  PUBLISHER_ID_BYTES,
  readCompactHeader,
} from './envelope.js';
import { messageOf } from './pubsub-error.js';

/** One envelope as read; the reader reuses this object for the next one. */
export interface ReadEnvelope {
  /** The publisher id, 16 hex digits. */
  publisher: string;
  seq: number;
  /** {@link EMPTY_METADATA} when none. */
  metadata: Readonly<Metadata>;
  /** As decoded, not validated. */
  value: unknown;
}

/** Why {@link EnvelopeReader.read} refused an envelope. */
export interface EnvelopeProblem {
  readonly reason: InvalidReason;
  readonly message: string;
  /** The codec's error, if any. */
  readonly error: unknown;
  /** The publisher, when the envelope could be read that far. */
  readonly publisher: string | undefined;
}

/** Reads envelopes with one codec; see the module comment. */
export class EnvelopeReader {
  /** The last envelope read successfully. */
  readonly envelope: ReadEnvelope = {
    publisher: '',
    seq: 0,
    metadata: EMPTY_METADATA,
    value: undefined,
  };
  private readonly codec: Codec;
  private readonly header: CompactHeader = { seq: 0, valueOffset: 0 };
  private readonly lastId = Buffer.alloc(PUBLISHER_ID_BYTES);
  private lastHex = '';

  constructor(codec: Codec) {
    this.codec = codec;
  }

  /**
   * Reads the envelope `bytes[start, end)` into {@link envelope}; returns the
   * problem instead when it is not valid. Never throws.
   */
  read(bytes: Uint8Array, start: number, end: number): EnvelopeProblem | undefined {
    const out = this.envelope;
    const header = this.header;
    if (readCompactHeader(bytes, header, start, end)) {
      out.seq = header.seq;
      out.publisher = this.publisherAt(bytes, start + 4);
      out.metadata = EMPTY_METADATA;
      try {
        out.value = this.decode(bytes, start + header.valueOffset, end);
      } catch (error) {
        return { reason: 'malformed', message: messageOf(error), error, publisher: out.publisher };
      }
      return undefined;
    }
    let decoded: unknown;
    try {
      decoded = this.decode(bytes, start, end);
    } catch (error) {
      return { reason: 'malformed', message: messageOf(error), error, publisher: undefined };
    }
    const problem = checkEnvelope(decoded);
    if (problem !== undefined) return { ...problem, error: undefined, publisher: undefined };
    const fields = decoded as unknown[];
    out.seq = fields[2] as number;
    out.publisher = this.publisherAt(fields[1] as Uint8Array, 0);
    const raw = fields[3];
    out.metadata = raw === null || raw === undefined ? EMPTY_METADATA : (raw as Metadata);
    out.value = fields[4];
    return undefined;
  }

  private decode(bytes: Uint8Array, start: number, end: number): unknown {
    const codec = this.codec;
    return codec.decodeSlice !== undefined
      ? codec.decodeSlice(bytes, start, end)
      : codec.decode(bytes.subarray(start, end));
  }

  /** The hex id of the publisher whose 8-byte id is at `offset` in `bytes`; cached for runs. */
  private publisherAt(bytes: Uint8Array, offset: number): string {
    const last = this.lastId;
    let same = true;
    for (let i = 0; i < PUBLISHER_ID_BYTES; i++) {
      if (bytes[offset + i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (same && this.lastHex !== '') return this.lastHex;
    last.set(bytes.subarray(offset, offset + PUBLISHER_ID_BYTES));
    this.lastHex = last.toString('hex');
    return this.lastHex;
  }
}
