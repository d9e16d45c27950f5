/**
 * What a subscriber does with one received message: read its envelope,
 * apply its sequence number, validate it per subscription and hand it over,
 * counting and reporting (listeners) what was lost or refused.
 */

import type { Listeners } from '@xsmb/base';
import { type Codec, validate } from '@xsmb/codec';
import type { InvalidReason } from './envelope.js';
import { EnvelopeReader } from './envelope-reader.js';
import { messageOf } from './pubsub-error.js';
import type { PubSubListener } from './pubsub-listener.js';
import type { SequenceTracker } from './sequence-tracker.js';
import type { SubscriptionImpl, TopicMessage } from './subscription.js';
import type { Route, SubscriptionRegistry } from './subscription-registry.js';

/** The subscriber's own counters, which the dispatcher adds to. */
export interface DispatchCounters {
  received: number;
  invalid: number;
  gaps: number;
}

/** Chains `next` after `pending`, keeping the order of a subscriber's waits. */
function chain(pending: Promise<void> | undefined, next: Promise<void>): Promise<void> {
  return pending === undefined ? next : pending.then(() => next);
}

/** The dispatcher of one subscriber. */
export class MessageDispatcher {
  /**
   * Full `'wait'` subscriptions: the reader reads nothing more until each
   * has room again.
   */
  readonly blocked: SubscriptionImpl<unknown>[] = [];
  private readonly reader: EnvelopeReader;
  private readonly registry: SubscriptionRegistry;
  private readonly tracker: SequenceTracker;
  private readonly listeners: Listeners<PubSubListener>;
  private readonly hasReceive: boolean;
  private readonly counters: DispatchCounters;

  constructor(init: {
    codec: Codec;
    registry: SubscriptionRegistry;
    tracker: SequenceTracker;
    listeners: Listeners<PubSubListener>;
    counters: DispatchCounters;
  }) {
    this.reader = new EnvelopeReader(init.codec);
    this.registry = init.registry;
    this.tracker = init.tracker;
    this.listeners = init.listeners;
    this.hasReceive = init.listeners.has('onReceive');
    this.counters = init.counters;
  }

  /**
   * Handles the message `bytes[start, end)` published under topic frame
   * `frame`. Returns a promise when the reader must wait for it (an
   * `onMessage` callback's promise, an asynchronous schema).
   */
  handle(
    frame: Uint8Array,
    bytes: Uint8Array,
    start: number,
    end: number,
  ): Promise<void> | undefined {
    const route = this.registry.route(frame);
    const subs = route.subs;
    // Unsubscribed while these were in flight, or not for us at all.
    if (subs.length === 0) return undefined;
    const problem = this.reader.read(bytes, start, end);
    if (problem !== undefined) {
      const { reason, message, error, publisher } = problem;
      this.invalid(route, publisher, undefined, reason, message, error);
      return undefined;
    }
    const { publisher, seq, metadata, value } = this.reader.envelope;
    const missing = this.tracker.next(publisher, route.frameKey, seq);
    if (missing > 0) this.gap(route, publisher, seq, missing);
    this.counters.received++;

    let shared: TopicMessage<unknown> | undefined;
    let pending: Promise<void> | undefined;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      const schema = sub.schema;
      if (schema === undefined) {
        shared ??= { value, topic: route.topic, key: route.key, metadata, seq, publisher };
        const wait = this.deliver(sub, shared);
        if (wait !== undefined) pending = chain(pending, wait);
        continue;
      }
      let result: unknown;
      try {
        result = validate(schema, value);
      } catch (error) {
        this.invalid(route, publisher, sub, 'validation', messageOf(error), error);
        continue;
      }
      const make = (v: unknown): TopicMessage<unknown> => ({
        value: v,
        topic: route.topic,
        key: route.key,
        metadata,
        seq,
        publisher,
      });
      if (result instanceof Promise) {
        // Asynchronous schema: the reader waits for it, so order is kept.
        const settled = result.then(
          (v: unknown) => this.deliver(sub, make(v)),
          (error: unknown) =>
            this.invalid(route, publisher, sub, 'validation', messageOf(error), error),
        );
        pending = chain(pending, settled);
      } else {
        const wait = this.deliver(sub, make(result));
        if (wait !== undefined) pending = chain(pending, wait);
      }
    }
    return pending;
  }

  /** Hands a message to one subscription; a promise when the reader must wait for it. */
  private deliver(
    sub: SubscriptionImpl<unknown>,
    message: TopicMessage<unknown>,
  ): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    if (sub.callback) wait = sub.call(message);
    else if (sub.offer(message)) this.blocked.push(sub);
    if (this.hasReceive) {
      this.listeners.emit('onReceive', {
        topic: message.topic,
        key: message.key,
        seq: message.seq,
        publisher: message.publisher,
        metadata: message.metadata,
        value: message.value,
      });
    }
    return wait;
  }

  private gap(route: Route, publisher: string, seq: number, missing: number): void {
    this.counters.gaps += missing;
    for (const sub of route.subs) sub.counters.gaps += missing;
    if (this.listeners.has('onGap')) {
      this.listeners.emit('onGap', {
        topic: route.topic,
        key: route.key,
        publisher,
        expected: seq - missing,
        received: seq,
        missing,
      });
    }
  }

  private invalid(
    route: Route,
    publisher: string | undefined,
    only: SubscriptionImpl<unknown> | undefined,
    reason: InvalidReason,
    message: string,
    error: unknown,
  ): void {
    this.counters.invalid++;
    if (only !== undefined) only.counters.invalid++;
    else for (const sub of route.subs) sub.counters.invalid++;
    if (this.listeners.has('onInvalid')) {
      this.listeners.emit('onInvalid', {
        topic: route.topic,
        key: route.key,
        publisher,
        reason,
        message,
        error,
      });
    }
  }
}
