/**
 * A pub/sub broker: publishers connect to its XSUB side (frontend),
 * subscribers to its XPUB side (backend). Messages flow frontend -> backend
 * unchanged (topic, burst or large frames); subscriptions flow back.
 * With CURVE both sides are CURVE servers, each with its own ZAP domain and
 * optional allow-list.
 */

import { childLogger, type Logger, ProblemLog, silentLogger } from '@xsmb/base';
import { XPublisher, XSubscriber } from 'zeromq';
import type { ServerCurveOptions } from './curve.js';
import { checkAllowedKeys, setUpCurveServer } from './curve-socket.js';
import { TransportEmitter } from './event-emitter.js';
import {
  type SlowSubscriberPolicy,
  type SubscriberWaitOptions,
  SubscriptionTable,
  sendToSubscribers,
} from './fanout.js';
import { resolveOptions, type TransportOptions } from './options.js';
import {
  boundEndpoint,
  closedError,
  endpointError,
  normalizeBindEndpoint,
  queueSocketOptions,
} from './socket-options.js';
import { observe } from './transport-core.js';
import type { ZapRegistration } from './zap-authenticator.js';

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
   * Where the broker logs (a pino logger fits; see `Logger` in
   * `@xsmb/base`), with `component: 'broker'` and `side` (`frontend` for
   * publishers, `backend` for subscribers): listening, peers connecting and
   * leaving (`address`), refused handshakes (`address`, `mechanism`,
   * `reason`, `code`), drops at a slow subscriber (the first few, then
   * summaries), close with the counters. Nothing per message.
   * @default silent
   */
  readonly logger?: Logger;
  /**
   * What happens when a subscriber is too slow; see {@link SlowSubscriberPolicy}.
   * With `'block'` the broker stops reading from publishers, so the pressure
   * reaches publishers that use `'block'` too, end to end.
   * @default 'drop'
   */
  readonly slowSubscriber?: SlowSubscriberPolicy;
  /**
   * CURVE encryption on both sides (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY):
   * the broker is the CURVE server for publishers (their `curveClient`) and
   * for subscribers (their `curve`), with this one key pair. Without the
   * allow-lists below, any peer that knows the public key gets in.
   * Default: none (plain TCP).
   */
  readonly curve?: ServerCurveOptions;
  /**
   * Z85 public keys of the publishers allowed to connect to the frontend
   * (needs `curve`). Enforced by the process-wide ZAP handler, failing
   * closed, as `allowedClientKeys` of the server transport. Replace at
   * runtime with `setAllowedPublisherKeys`. Default: no allow-list (every
   * CURVE client with the broker's public key).
   */
  readonly allowedPublisherKeys?: Iterable<string>;
  /**
   * Z85 public keys of the subscribers allowed to connect to the backend
   * (needs `curve`); as `allowedPublisherKeys`. Replace at runtime with
   * `setAllowedSubscriberKeys`. Default: no allow-list.
   */
  readonly allowedSubscriberKeys?: Iterable<string>;
}

/** Which side of the broker an event concerns: publishers (`frontend`) or subscribers (`backend`). */
export type BrokerSide = 'frontend' | 'backend';

/** Events of a broker. Listeners must not throw (errors are swallowed). */
export interface BrokerEvents {
  /**
   * A CURVE/ZAP handshake with a publisher (`frontend`) or subscriber
   * (`backend`) failed: key not on that side's allow-list (`code` `'400'`),
   * wrong server key (`ERR_ZMTP_CRYPTOGRAPHIC`), mechanism mismatch.
   */
  handshakeFailed: {
    readonly side: BrokerSide;
    readonly endpoint: string;
    readonly reason: string;
    readonly code?: string;
  };
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
  /** Handshakes that failed on either side (wrong key, not allowed, mechanism mismatch). */
  handshakeFailures: number;
  /** Publishers the frontend's allow-list refused (0 without one). */
  publishersDenied: number;
  /** Subscribers the backend's allow-list refused (0 without one). */
  subscribersDenied: number;
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
  /** Registers an event listener; returns a function that removes it. */
  on<K extends keyof BrokerEvents>(
    event: K,
    listener: (event: BrokerEvents[K]) => void,
  ): () => void;
  /**
   * Replaces the frontend's allow-list of publisher keys (Z85); affects new
   * handshakes only. Throws `TypeError` when created without `allowedPublisherKeys`.
   */
  setAllowedPublisherKeys(keys: Iterable<string>): void;
  /**
   * Replaces the backend's allow-list of subscriber keys (Z85); affects new
   * handshakes only. Throws `TypeError` when created without `allowedSubscriberKeys`.
   */
  setAllowedSubscriberKeys(keys: Iterable<string>): void;
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
    handshakeFailures: 0,
    publishersDenied: 0,
    subscribersDenied: 0,
  };
  private readonly emitter = new TransportEmitter<BrokerEvents>();
  private readonly frontendZap: ZapRegistration | undefined;
  private readonly backendZap: ZapRegistration | undefined;
  private readonly frontendAllowList: boolean;
  private readonly backendAllowList: boolean;
  private readonly front: string[] = [];
  private readonly back: string[] = [];
  private closedFlag = false;
  private readonly logger: Logger;
  private readonly dropLog: ProblemLog;
  private readonly mechanism: 'NULL' | 'CURVE';

  constructor(options: BrokerOptions) {
    const o = resolveOptions(options);
    this.logger =
      options.logger === undefined
        ? silentLogger
        : childLogger(options.logger, { component: 'broker' });
    this.dropLog = new ProblemLog(this.logger);
    this.mechanism = options.curve === undefined ? 'NULL' : 'CURVE';
    const policy = options.slowSubscriber ?? 'drop';
    if (policy !== 'drop' && policy !== 'block') {
      throw new TypeError(`slowSubscriber must be 'drop' or 'block', got ${String(policy)}`);
    }
    this.policy = policy;
    const queue = queueSocketOptions(o);
    // One ZAP domain per side, so each side has its own allow-list.
    const front = setUpCurveServer(options.curve, options.allowedPublisherKeys, {
      curve: 'curve',
      allowed: 'allowedPublisherKeys',
    });
    let back: ReturnType<typeof setUpCurveServer> | undefined;
    let frontend: XSubscriber | undefined;
    try {
      back = setUpCurveServer(options.curve, options.allowedSubscriberKeys, {
        curve: 'curve',
        allowed: 'allowedSubscriberKeys',
      });
      frontend = new XSubscriber({ ...queue, sendTimeout: 0, ...front.socketOptions });
      this.backend = new XPublisher({
        ...queue,
        noDrop: true,
        sendTimeout: 0,
        ...back.socketOptions,
      });
    } catch (error) {
      frontend?.close();
      front.zap?.release();
      back?.zap?.release();
      throw error;
    }
    this.frontend = frontend;
    this.frontendZap = front.zap;
    this.backendZap = back.zap;
    this.frontendAllowList = front.hasAllowList;
    this.backendAllowList = back.hasAllowList;
    this.observeHandshakes(this.frontend, 'frontend');
    this.observeHandshakes(this.backend, 'backend');
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
    this.logger.info({ event: 'listening', frontend: f, backend: b }, 'broker listening');
    return [f, b];
  }

  subscriptions(): ReadonlyMap<string, number> {
    return this.subs.snapshot();
  }

  waitForSubscribers(count: number, options: SubscriberWaitOptions = {}): Promise<void> {
    return this.subs.wait(count, options, this.closedFlag ? closedError('broker') : undefined);
  }

  stats(): BrokerStats {
    return {
      ...this.counters,
      publishersDenied: this.frontendZap?.stats().denied ?? 0,
      subscribersDenied: this.backendZap?.stats().denied ?? 0,
    };
  }

  on<K extends keyof BrokerEvents>(
    event: K,
    listener: (event: BrokerEvents[K]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  setAllowedPublisherKeys(keys: Iterable<string>): void {
    if (this.frontendZap === undefined || !this.frontendAllowList) {
      throw new TypeError('this broker was created without allowedPublisherKeys');
    }
    this.frontendZap.setAllowedKeys(checkAllowedKeys('allowedPublisherKeys', keys));
  }

  setAllowedSubscriberKeys(keys: Iterable<string>): void {
    if (this.backendZap === undefined || !this.backendAllowList) {
      throw new TypeError('this broker was created without allowedSubscriberKeys');
    }
    this.backendZap.setAllowedKeys(checkAllowedKeys('allowedSubscriberKeys', keys));
  }

  private observeHandshakes(socket: XSubscriber | XPublisher, side: BrokerSide): void {
    const logger = this.logger;
    const who = side === 'frontend' ? 'publisher' : 'subscriber';
    observe(socket, {
      ...(logger === silentLogger
        ? {}
        : {
            handshake: (address: string) =>
              logger.info({ event: 'connected', side, address }, `${who} connected`),
            disconnect: (address: string) =>
              logger.info({ event: 'disconnected', side, address }, `${who} disconnected`),
          }),
      handshakeFailed: (address, reason, code) => {
        this.counters.handshakeFailures++;
        // `code` only when the peer gave one (ZAP status), as the event type says.
        const withCode = code === undefined ? {} : { code };
        logger.warn(
          {
            event: 'handshake-refused',
            side,
            address,
            mechanism: this.mechanism,
            reason,
            ...withCode,
          },
          'handshake refused',
        );
        this.emitter.emit('handshakeFailed', { side, endpoint: address, reason, ...withCode });
      },
    });
  }

  private async forwardMessages(): Promise<void> {
    try {
      for await (const frames of this.frontend) {
        this.counters.messagesIn++;
        const result = await sendToSubscribers(this.backend, frames, this.policy);
        if (result === 'closed') return;
        if (result === 'sent') this.counters.messagesForwarded++;
        else {
          this.counters.drops++;
          this.dropLog.report(
            'dropped',
            'messages dropped at a slow subscriber (counted in drops)',
          );
        }
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
      // Closing the sockets ends their Observers (see client-transport.ts).
      this.frontend.close();
      this.backend.close();
      this.frontendZap?.release();
      this.backendZap?.release();
      this.dropLog.flush();
      this.logger.info({ event: 'closed', ...this.stats() }, 'broker closed');
    }
    return Promise.resolve();
  }
}

/**
 * Creates a pub/sub broker (XSUB for publishers, XPUB for subscribers) that
 * forwards messages one way and subscriptions the other, and counts both.
 * Call `listen(frontend, backend)` to bind it. With `curve` both sides are
 * CURVE servers, with optional allow-lists per side.
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  return new ZmqBroker(options);
}
