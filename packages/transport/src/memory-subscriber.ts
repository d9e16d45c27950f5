/**
 * The in-memory {@link SubscriberTransport} (see memory.ts): links to the
 * memory publishers listening on the endpoints it connects to, tells them
 * its prefixes, and buffers what they deliver in a bounded queue. A full
 * queue is this subscriber's high-water mark: the publisher's
 * `slowSubscriber` policy then drops (counted at the publisher) or waits.
 */

import type { MemorySubscriberOptions } from './memory.js';
import type { MemoryNetworkCore } from './memory-network.js';
import type { MemoryPublisher } from './memory-publisher.js';
import { DEFAULT_DEPTH, DEFAULT_MAX_BYTES } from './memory-server.js';
import { ReceiveQueue } from './receive-queue.js';
import { closedError } from './socket-options.js';
import { DONE, TransportCore } from './transport-core.js';
import type { Delivery, SubscriberTransport } from './types.js';

/** Prefixes are kept as latin1 strings (one char per byte), as the subscription table does. */
function key(prefix: Uint8Array): string {
  return Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).toString('latin1');
}

/** A subscriber on a {@link MemoryNetworkCore}. */
export class MemorySubscriber extends TransportCore implements SubscriberTransport {
  /** Subscriptions as the application made them: prefix -> how many times. */
  private readonly prefixes = new Map<string, number>();
  /** Publishers linked, by the endpoint connected to. */
  private readonly links = new Map<string, MemoryPublisher>();
  private readonly inbox: ReceiveQueue<Delivery>;
  private readonly maxMessageBytes: number;
  /** The inbox reached its bound: matching publishers apply their policy. */
  private fullFlag = false;
  /** A name for this subscriber in the publishers' events. */
  readonly name: string;

  /**
   * @param net the network it connects on.
   * @param name its name in the publishers' events.
   * @param options its bounds.
   */
  constructor(
    private readonly net: MemoryNetworkCore,
    name: string,
    options: MemorySubscriberOptions,
  ) {
    super();
    this.name = name;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
    this.inbox = new ReceiveQueue<Delivery>(
      options.queueDepth ?? DEFAULT_DEPTH,
      () => {
        this.fullFlag = true;
      },
      () => {
        this.fullFlag = false;
        for (const publisher of this.links.values()) publisher.wake();
      },
    );
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
  }

  /** True while this subscriber's queue is at its bound. */
  get full(): boolean {
    return this.fullFlag;
  }

  /** The prefixes subscribed, with their counts (for a publisher that links). */
  get subscriptions(): ReadonlyMap<string, number> {
    return this.prefixes;
  }

  protected queueDepth(): number {
    return 0;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    this.net.connectSubscriber(this, endpoint);
  }

  /** Undoes `connect(endpoint)`: unlinks that publisher and stops linking to it again. */
  disconnect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    this.net.disconnectSubscriber(this, endpoint);
    this.dropLink(endpoint, 'closed');
  }

  subscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    const k = key(prefix);
    this.prefixes.set(k, (this.prefixes.get(k) ?? 0) + 1);
    for (const publisher of this.links.values()) publisher.subscribed(true, prefix);
  }

  unsubscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    const k = key(prefix);
    const n = this.prefixes.get(k);
    if (n === undefined) return;
    if (n <= 1) this.prefixes.delete(k);
    else this.prefixes.set(k, n - 1);
    for (const publisher of this.links.values()) publisher.subscribed(false, prefix);
  }

  /** Whether one of this subscriber's prefixes is a prefix of `topic`. */
  matches(topic: Uint8Array): boolean {
    outer: for (const prefix of this.prefixes.keys()) {
      if (prefix.length > topic.length) continue;
      for (let i = 0; i < prefix.length; i++) {
        if (prefix.charCodeAt(i) !== topic[i]) continue outer;
      }
      return true;
    }
    return false;
  }

  /** Called by the network: the publisher at `endpoint` is reachable. */
  link(endpoint: string, publisher: MemoryPublisher): void {
    if (this.closedFlag || this.links.has(endpoint)) return;
    this.links.set(endpoint, publisher);
    publisher.attach(this);
    this.emitter.emit('connected', { endpoint, peer: endpoint });
  }

  /** Called by the network: the link to `endpoint` broke. */
  unlink(endpoint: string): void {
    this.dropLink(endpoint, 'disconnected');
  }

  /** Forgets the publisher at `endpoint`, if linked, and tells why (`closed`: this side disconnected). */
  private dropLink(endpoint: string, reason: 'closed' | 'disconnected'): void {
    const publisher = this.links.get(endpoint);
    if (publisher === undefined) return;
    this.links.delete(endpoint);
    publisher.detach(this);
    this.emitter.emit('disconnected', { endpoint, peer: endpoint, reason });
  }

  /** The publisher at whatever endpoint went away (closed or killed). */
  unlinkPublisher(publisher: MemoryPublisher): void {
    for (const [endpoint, p] of [...this.links]) if (p === publisher) this.unlink(endpoint);
  }

  /** A publisher delivers one message (already copied). */
  deliver(topic: Uint8Array, message: Uint8Array): void {
    if (this.closedFlag) return;
    this.counters.zmqIn++;
    if (message.byteLength > this.maxMessageBytes) {
      this.drop('message above maxMessageBytes');
      return;
    }
    this.inbox.push({ topic, message });
  }

  close(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    this.closedFlag = true;
    this.net.forgetSubscriber(this);
    for (const [endpoint, publisher] of [...this.links]) {
      this.links.delete(endpoint);
      publisher.detach(this);
    }
    this.inbox.end();
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return { next: this.next, return: () => Promise.resolve(DONE) };
  }

  private readonly next = (): Promise<IteratorResult<Delivery>> =>
    this.inbox.next().then(this.open);

  private readonly open = (item: Delivery | undefined): IteratorResult<Delivery> => {
    if (item === undefined || this.closedFlag) return DONE;
    this.counters.messagesIn++;
    return { done: false, value: item };
  };
}
