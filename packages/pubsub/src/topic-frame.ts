/**
 * The topic frame: the first frame of every pub/sub ZeroMQ message, and the
 * bytes ZeroMQ's subscription filter matches by prefix.
 *
 *   topic frame = UTF-8(topic name) 0x00 UTF-8(key)
 *
 * The 0x00 after the name makes prefix filtering exact at the topic level:
 * the prefix `prices\0` matches every key of `prices` but nothing of
 * `prices2`. After it, filtering on the key is a plain prefix match:
 * `prices\0AA` matches the keys `AA`, `AAPL` and `AAL`. A message without a
 * key has an empty key (the frame ends with the 0x00).
 */

import { checkTopicName } from './topic.js';

/** Longest key in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Throws a `TypeError` unless `key` may be used as a key (or key prefix). */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError('a key must be a string');
  if (key.length > MAX_KEY_BYTES / 3 && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new TypeError(`key is longer than ${MAX_KEY_BYTES} bytes of UTF-8`);
  }
}

/**
 * Encodes the topic frame of a message published on `topic` with `key`
 * (`''` or `undefined`: no key). The same bytes, used as a subscription,
 * select that key and every key it is a prefix of.
 */
export function encodeTopicFrame(topic: string, key: string | undefined): Buffer {
  checkTopicName(topic);
  if (key !== undefined) checkKey(key);
  return Buffer.from(key === undefined || key === '' ? `${topic}\0` : `${topic}\0${key}`, 'utf8');
}

/** A topic frame split into its parts. */
export interface ParsedTopicFrame {
  /** The topic name. */
  readonly topic: string;
  /** The key; `undefined` when the message has none (empty key). */
  readonly key: string | undefined;
}

/**
 * Splits a received topic frame at its first 0x00. Returns `undefined` when
 * there is none: such a frame was not sent by an xSMB publisher.
 */
export function parseTopicFrame(frame: Uint8Array): ParsedTopicFrame | undefined {
  const nul = frame.indexOf(0);
  if (nul <= 0) return undefined;
  const buf = Buffer.isBuffer(frame)
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  const topic = buf.toString('utf8', 0, nul);
  const key = nul + 1 === buf.length ? undefined : buf.toString('utf8', nul + 1);
  return { topic, key };
}

/**
 * Splits a subscription prefix (as the publisher's transport reports it, a
 * latin1 string of the raw bytes) into topic and key prefix. A prefix
 * without 0x00 (a raw subscription that stops inside a topic name) is all
 * topic, with `keyPrefix` `undefined`.
 */
export function parseSubscriptionPrefix(prefix: string): {
  topic: string;
  keyPrefix: string | undefined;
} {
  const text = Buffer.from(prefix, 'latin1').toString('utf8');
  const nul = text.indexOf('\0');
  return nul < 0
    ? { topic: text, keyPrefix: undefined }
    : { topic: text.slice(0, nul), keyPrefix: text.slice(nul + 1) };
}
