/**
 * The subscriptions of one subscriber: which socket subscriptions (topic
 * frame prefixes) they need, and which of them a received topic frame goes to.
 */

import type { SubscriptionImpl } from './subscription.js';
import { parseTopicFrame } from './topic-frame.js';

/** Topic frames whose routing is cached; the cache is dropped when it grows past this. */
const MAX_ROUTES = 4096;

/** How messages with one topic frame are routed; cached per frame. */
export interface Route {
  /** The topic frame as a latin1 string (the stream's key for gap detection). */
  readonly frameKey: string;
  /** The topic; `''` for a frame that could not be parsed (it matches nothing). */
  readonly topic: string;
  readonly key: string | undefined;
  /** The subscriptions it goes to; empty when none (any more). */
  readonly subs: readonly SubscriptionImpl<unknown>[];
}

/** The registry; the subscriber subscribes its socket as {@link add} and {@link remove} say. */
export class SubscriptionRegistry {
  private readonly subs = new Set<SubscriptionImpl<unknown>>();
  /** Prefixes subscribed on the socket (latin1) and how many subscriptions use each. */
  private readonly prefixes = new Map<string, number>();
  private readonly routes = new Map<string, Route>();
  // One-entry cache: a burst carries one topic frame, and the transport hands
  // out the same frame object for all of its entries.
  private lastFrame: Uint8Array | undefined;
  private lastRoute: Route | undefined;
  /** What subscriptions removed so far had dropped. */
  private retiredDropped = 0;

  /** Active subscriptions. */
  get size(): number {
    return this.subs.size;
  }

  /** Messages dropped by every subscription, past and present. */
  get dropped(): number {
    let dropped = this.retiredDropped;
    for (const sub of this.subs) dropped += sub.dropped;
    return dropped;
  }

  /** The prefixes subscribed on the socket (latin1). */
  activePrefixes(): string[] {
    return [...this.prefixes.keys()];
  }

  /** A copy of the active subscriptions (safe to stop while iterating). */
  list(): SubscriptionImpl<unknown>[] {
    return [...this.subs];
  }

  /**
   * Adds a subscription. Returns true when it is the first with its prefix:
   * the socket must subscribe to it. One socket subscription per distinct
   * prefix: the publisher's counts then mean "subscriber sockets", and
   * unsubscribing one of two identical subscriptions does not cut off the other.
   */
  add(sub: SubscriptionImpl<unknown>): boolean {
    this.subs.add(sub);
    this.invalidate();
    const refs = this.prefixes.get(sub.prefixKey) ?? 0;
    this.prefixes.set(sub.prefixKey, refs + 1);
    return refs === 0;
  }

  /**
   * Removes a subscription. Returns true when it was the last with its
   * prefix: the socket must unsubscribe from it.
   */
  remove(sub: SubscriptionImpl<unknown>): boolean {
    if (!this.subs.delete(sub)) return false;
    this.retiredDropped += sub.dropped;
    this.invalidate();
    const refs = this.prefixes.get(sub.prefixKey) ?? 0;
    if (refs > 1) {
      this.prefixes.set(sub.prefixKey, refs - 1);
      return false;
    }
    this.prefixes.delete(sub.prefixKey);
    return true;
  }

  /** The route of topic frame `frame`. */
  route(frame: Uint8Array): Route {
    const last = this.lastRoute;
    if (frame === this.lastFrame && last !== undefined) return last;
    const buf = Buffer.isBuffer(frame)
      ? frame
      : Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    const frameKey = buf.toString('latin1');
    let route = this.routes.get(frameKey);
    if (route === undefined) {
      const parsed = parseTopicFrame(buf);
      const subs: SubscriptionImpl<unknown>[] = [];
      // ZeroMQ filters per socket; with several subscriptions each one
      // filters again here. A frame without the separator matches none.
      if (parsed !== undefined) {
        for (const sub of this.subs) if (frameKey.startsWith(sub.prefixKey)) subs.push(sub);
      }
      route = { frameKey, topic: parsed?.topic ?? '', key: parsed?.key, subs };
      if (this.routes.size >= MAX_ROUTES) this.routes.clear();
      this.routes.set(frameKey, route);
    }
    this.lastFrame = frame;
    this.lastRoute = route;
    return route;
  }

  private invalidate(): void {
    this.routes.clear();
    this.lastFrame = undefined;
    this.lastRoute = undefined;
  }
}
