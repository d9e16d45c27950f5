/**
 * Observe-only hooks of publishers and subscribers (metrics, logging,
 * tracing), fanned out by `@xsmb/base`'s `Listeners`. A listener must not
 * throw; if one does, the error is swallowed and counted in
 * `stats().listenerErrors`, and the message flow goes on.
 */

import type { Metadata } from '@xsmb/base';
import type { InvalidReason } from './envelope.js';

/** A message was queued by `publish`. */
export interface PublishEvent {
  readonly topic: string;
  /** The key; `undefined` when none. */
  readonly key: string | undefined;
  /** Its sequence number within (publisher, topic, key). */
  readonly seq: number;
  /** The publisher's id (16 hex digits). */
  readonly publisher: string;
  /** The metadata sent; empty object when none. */
  readonly metadata: Readonly<Metadata>;
  /** Size of the encoded envelope in bytes. */
  readonly bytes: number;
}

/** A valid message was handed to a subscription (after validation). */
export interface ReceiveEvent {
  readonly topic: string;
  readonly key: string | undefined;
  readonly seq: number;
  readonly publisher: string;
  readonly metadata: Readonly<Metadata>;
  /** The value, as validated. */
  readonly value: unknown;
}

/**
 * Messages of one stream (publisher, topic, key) did not arrive: sequence
 * numbers `expected` to `received - 1` are missing. `missing` is their count.
 */
export interface GapEvent {
  readonly topic: string;
  readonly key: string | undefined;
  readonly publisher: string;
  /** The sequence number that should have come next. */
  readonly expected: number;
  /** The sequence number that came. */
  readonly received: number;
  /** How many messages were lost: `received - expected`. */
  readonly missing: number;
}

/** A received message was refused and skipped (counted in `invalid`). */
export interface InvalidEvent {
  /** The topic from the topic frame, when it could be read. */
  readonly topic: string | undefined;
  readonly key: string | undefined;
  /** The publisher, when the envelope could be read that far. */
  readonly publisher: string | undefined;
  /** What was wrong, see {@link InvalidReason}. */
  readonly reason: InvalidReason;
  /** A description for logs. */
  readonly message: string;
  /** The underlying error (`CodecError`), if any. */
  readonly error: unknown;
}

/**
 * Hooks for metrics, logs and tracing. All optional; publishers call
 * `onPublish`, subscribers the other three. They run synchronously on the hot
 * path: keep them cheap, and do not throw.
 */
export interface PubSubListener {
  /** After a message was queued by `publish`. */
  onPublish?(event: PublishEvent): void;
  /** After a valid message was handed to a subscription (once per matching subscription). */
  onReceive?(event: ReceiveEvent): void;
  /** When a subscriber sees missing sequence numbers in a stream. */
  onGap?(event: GapEvent): void;
  /** When a received message is refused. */
  onInvalid?(event: InvalidEvent): void;
}
