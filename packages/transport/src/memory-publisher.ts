/**
 * The in-memory {@link PublisherTransport} (see memory.ts), on the same
 * {@link PublisherCore} as the real publishers: the bounded send queue with
 * `whenFull`, messages nobody subscribed to counted in `unmatched`, and the
 * `slowSubscriber` policy when a matching subscriber's queue is full
 * (`'drop'`: the message is dropped for every subscriber, counted, as with
 * ZMQ_XPUB_NODROP; `'block'`: the writer waits until it has room). Each
 * message is delivered (copied) on its own: there are no bursts to cut.
 */

import { TransportError } from './errors.js';
import { subscriptionFrame } from './fanout.js';
import type { MemoryPublisherOptions } from './memory.js';
import type { MemoryNetworkCore } from './memory-network.js';
import { DEFAULT_MAX_BYTES } from './memory-server.js';
import type { MemorySubscriber } from './memory-subscriber.js';
import { resolveOptions } from './options.js';
import { checkPublisherOptions, type PublishPass } from './publisher-core.js';
import { SyncPublisherCore } from './sync-publisher-core.js';

/** A memory socket has no CURVE, hence no allow-list. */
const NO_ALLOW_LIST = {
  hasAllowList: false,
  denied: () => 0,
  setAllowedKeys: () => {},
};

/** A publisher on a {@link MemoryNetworkCore}. */
export class MemoryPublisher extends SyncPublisherCore {
  private readonly subscribers = new Set<MemorySubscriber>();

  /**
   * @param net the network it listens on.
   * @param options its bounds and policy.
   */
  constructor(
    private readonly net: MemoryNetworkCore,
    options: MemoryPublisherOptions,
  ) {
    const checked = checkPublisherOptions(options);
    super(
      resolveOptions({
        maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
        ...(options.sendQueueDepth === undefined ? {} : { sendQueueDepth: options.sendQueueDepth }),
        ...(options.whenFull === undefined ? {} : { whenFull: options.whenFull }),
        closeTimeoutMs: options.closeTimeoutMs ?? 1000,
      }),
      checked,
      NO_ALLOW_LIST,
    );
  }

  protected bind(endpoint: string): Promise<string> {
    return Promise.resolve(this.net.bindPublisher(endpoint, this));
  }

  protected connectSocket(endpoint: string): void {
    throw new TransportError(
      'INVALID_ENDPOINT',
      `a memory publisher cannot connect (there is no memory broker): ${endpoint}`,
    );
  }

  /** A subscriber linked: its subscriptions count from now on. */
  attach(subscriber: MemorySubscriber): void {
    this.subscribers.add(subscriber);
    for (const [prefix, n] of subscriber.subscriptions) {
      const frame = subscriptionFrame(true, Buffer.from(prefix, 'latin1'));
      for (let i = 0; i < n; i++) this.subs.apply(frame);
    }
    this.emitter.emit('connected', { endpoint: this.endpointLabel(), peer: subscriber.name });
  }

  /** A subscriber went away: its subscriptions no longer count. */
  detach(subscriber: MemorySubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    for (const [prefix, n] of subscriber.subscriptions) {
      const frame = subscriptionFrame(false, Buffer.from(prefix, 'latin1'));
      for (let i = 0; i < n; i++) this.subs.apply(frame);
    }
    this.emitter.emit('disconnected', {
      endpoint: this.endpointLabel(),
      peer: subscriber.name,
      reason: 'disconnected',
    });
    this.wake();
  }

  /** A linked subscriber subscribed (or unsubscribed) `prefix`. */
  subscribed(subscribe: boolean, prefix: Uint8Array): void {
    this.subs.apply(subscriptionFrame(subscribe, prefix));
  }

  /** A subscriber has room again: a blocked writer goes on. */
  wake(): void {
    this.resume();
  }

  /** Unbinds without flushing (fault injection: the process died). */
  kill(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.stop();
    this.net.unbindPublisher(this);
    this.subs.fail(new TransportError('CLOSED', 'transport is closed'));
    this.discard(this.out);
    for (const s of [...this.subscribers]) s.unlinkPublisher(this);
  }

  private endpointLabel(): string {
    return this.endpoints.length === 1 ? this.endpoints[0]! : this.endpoints.join(',');
  }

  /** Delivers one message (copied) to every subscriber it matches. */
  protected sendNext(pass: PublishPass): boolean {
    const topic = pass.topics[pass.i]!;
    if (this.anyFull(topic)) {
      if (this.policy === 'block') return false;
      this.droppedAtHwm(1);
    } else {
      const message = pass.items[pass.i]!;
      for (const s of this.subscribers) {
        if (s.matches(topic)) s.deliver(topic.slice(), message.slice());
      }
      this.burstSent(1);
    }
    pass.i++;
    return true;
  }

  private anyFull(topic: Uint8Array): boolean {
    for (const s of this.subscribers) if (s.full && s.matches(topic)) return true;
    return false;
  }

  protected closeSocket(): Promise<void> {
    this.stop();
    this.net.unbindPublisher(this);
    for (const s of [...this.subscribers]) s.unlinkPublisher(this);
    return Promise.resolve();
  }
}
