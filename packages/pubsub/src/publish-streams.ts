/**
 * A publisher's streams: one per (topic, key), each with its topic frame
 * (encoded once) and its last sequence number.
 */

import { encodeTopicFrame } from './topic-frame.js';

/** The numbering of one (topic, key) and its cached topic frame. */
export interface PublishStream {
  readonly frame: Buffer;
  /** The last sequence number given out; 0 before the first message. */
  seq: number;
}

/** Streams of one topic: the keyless one and one per key. */
interface TopicStreams {
  readonly plain: PublishStream;
  readonly byKey: Map<string, PublishStream>;
}

/** The streams of one publisher. */
export class PublishStreams {
  private readonly topics = new Map<string, TopicStreams>();
  private count = 0;

  /** Distinct (topic, key) streams so far. */
  get size(): number {
    return this.count;
  }

  /**
   * The stream of `topic` and `key` (`''` or `undefined`: no key), created
   * when new. Throws `TypeError` for a bad topic name or key, before
   * anything is stored for it.
   */
  get(topic: string, key: string | undefined): PublishStream {
    let streams = this.topics.get(topic);
    if (streams === undefined) {
      streams = { plain: { frame: encodeTopicFrame(topic, undefined), seq: 0 }, byKey: new Map() };
      this.topics.set(topic, streams);
      this.count++;
    }
    if (key === undefined || key === '') return streams.plain;
    let stream = streams.byKey.get(key);
    if (stream === undefined) {
      stream = { frame: encodeTopicFrame(topic, key), seq: 0 };
      streams.byKey.set(key, stream);
      this.count++;
    }
    return stream;
  }
}
