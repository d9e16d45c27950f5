/**
 * A pub/sub broker: publishers connect to its XSUB side (frontend),
 * subscribers to its XPUB side (backend). Messages flow frontend -> backend
 * unchanged (topic, burst or large frames); subscriptions flow back.
 */

import { XPublisher, XSubscriber } from 'zeromq';
import { type SlowSubscriberPolicy, SubscriptionTable, sendToSubscribers } from './fanout.js';
import { resolveOptions, type TransportOptions } from './options.js';
import {
  boundEndpoint,
  closedError,
  commonSocketOptions,
  endpointError,
  normalizeBindEndpoint,
} from './socket-options.js';

/** Options of {@link createBroker}. */
export interface BrokerOptions
  extends Pick<
    TransportOptions,
    | 'sendHighWaterMark'
    | 'receiveHighWaterMark'
    | 'maxMessageBytes'
    | 'heartbeatIntervalMs'
    | 'heartbeatTimeoutMs'
    | 'lingerMs'
  > {
  /**
   * What happens when a subscriber is too slow; see {@link SlowSubscriberPolicy}.
   * With `'block'` the broker stops reading from publishers, so the pressure
   * reaches publishers that use `'block'` too, end to end.
   * @default 'drop'
   */
  readonly slowSubscriber?: SlowSubscriberPolicy;
}

/** Counters of a broker. */
export interface BrokerStats {
  /** ZeroMQ messages received from publishers. */
  messagesIn: number;
  /** ZeroMQ messages sent on to subscribers. */
  messagesForwarded: number;
  /** ZeroMQ messages dropped at a subscriber's high-water mark (`'drop'` policy). */
  drops: number;
  /** Subscribe and unsubscribe notifications passed on to publishers. */
  subscriptionsForwarded: number;
}

/** A running broker. */
export interface Broker {
  /**
   * Binds the publisher-facing XSUB (`frontend`) and the subscriber-facing
   * XPUB (`backend`); resolves with the real endpoints (port 0 or `*` resolved).
   */
  listen(frontend: string, backend: string): Promise<[frontend: string, backend: string]>;
  /** Endpoints bound for publishers. */
  readonly frontendEndpoints: readonly string[];
  /** Endpoints bound for subscribers. */
  readonly backendEndpoints: readonly string[];
  /** Subscriptions of the broker's subscribers, per prefix (latin1). */
  subscriptions(): ReadonlyMap<string, number>;
  /** Like `PublisherTransport.waitForSubscribers`, for the broker's own subscribers. */
  waitForSubscribers(
    count: number,
    options?: { topic?: Uint8Array; timeoutMs?: number },
  ): Promise<void>;
  /** A snapshot of the counters. */
  stats(): BrokerStats;
  /** Stops forwarding and closes both sockets. Idempotent. */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

class ZmqBroker implements Broker {
  private readonly frontend: XSubscriber;
  private readonly backend: XPublisher;
  private readonly policy: SlowSubscriberPolicy;
  private readonly subs = new SubscriptionTable();
  private readonly counters: BrokerStats = {
    messagesIn: 0,
    messagesForwarded: 0,
    drops: 0,
    subscriptionsForwarded: 0,
  };
  private readonly front: string[] = [];
  private readonly back: string[] = [];
  private closedFlag = false;

  constructor(options: BrokerOptions) {
    const o = resolveOptions(options);
    const policy = options.slowSubscriber ?? 'drop';
    if (policy !== 'drop' && policy !== 'block') {
      throw new TypeError(`slowSubscriber must be 'drop' or 'block', got ${String(policy)}`);
    }
    this.policy = policy;
    const common = commonSocketOptions(o);
    const hwm = {
      sendHighWaterMark: o.sendHighWaterMark,
      receiveHighWaterMark: o.receiveHighWaterMark,
    };
    this.frontend = new XSubscriber({ ...common, ...hwm, sendTimeout: 0 });
    this.backend = new XPublisher({ ...common, ...hwm, noDrop: true, sendTimeout: 0 });
    // Pass every subscriber's (un)subscription upstream, not only the first/last.
    this.backend.verbosity = 'allSubsUnsubs';
    void this.forwardMessages();
    void this.forwardSubscriptions();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get frontendEndpoints(): readonly string[] {
    return this.front;
  }

  get backendEndpoints(): readonly string[] {
    return this.back;
  }

  async listen(frontend: string, backend: string): Promise<[string, string]> {
    if (this.closedFlag) throw closedError('broker');
    try {
      this.frontend.bindSync(normalizeBindEndpoint(frontend));
    } catch (cause) {
      throw endpointError(frontend, cause);
    }
    const f = boundEndpoint(frontend, this.frontend.lastEndpoint);
    try {
      this.backend.bindSync(normalizeBindEndpoint(backend));
    } catch (cause) {
      throw endpointError(backend, cause);
    }
    const b = boundEndpoint(backend, this.backend.lastEndpoint);
    this.front.push(f);
    this.back.push(b);
    return [f, b];
  }

  subscriptions(): ReadonlyMap<string, number> {
    return new Map(this.subs.map);
  }

  waitForSubscribers(
    count: number,
    options: { topic?: Uint8Array; timeoutMs?: number } = {},
  ): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError('broker'));
    return this.subs.wait(count, options.topic, options.timeoutMs);
  }

  stats(): BrokerStats {
    return { ...this.counters };
  }

  private async forwardMessages(): Promise<void> {
    try {
      for await (const frames of this.frontend) {
        this.counters.messagesIn++;
        const result = await sendToSubscribers(this.backend, frames, this.policy);
        if (result === 'closed') return;
        if (result === 'sent') this.counters.messagesForwarded++;
        else this.counters.drops++;
      }
    } catch {
      // Closed while a receive was pending.
    }
  }

  private async forwardSubscriptions(): Promise<void> {
    try {
      for await (const frames of this.backend) {
        const frame = frames[0];
        if (frame === undefined || !this.subs.apply(frame)) continue;
        await this.frontend.send(frame);
        this.counters.subscriptionsForwarded++;
      }
    } catch {
      // Closed while a receive or send was pending.
    }
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.subs.fail(closedError('broker'));
      this.frontend.close();
      this.backend.close();
    }
    return Promise.resolve();
  }
}

/**
 * Creates a pub/sub broker (XSUB for publishers, XPUB for subscribers) that
 * forwards messages one way and subscriptions the other, and counts both.
 * Call `listen(frontend, backend)` to bind it.
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  return new ZmqBroker(options);
}
