/**
 * The publishing side of pub/sub: an XPUB (so subscriptions are visible),
 * bound for subscribers or connected to a broker's XSUB side.
 */

import { XPublisher } from 'zeromq';
import type { ClientCurveOptions, ServerCurveOptions } from './curve.js';
import { checkAllowedKeys, curveClientSocketOptions, setUpCurveServer } from './curve-socket.js';
import {
  type FanoutResult,
  matchedOnly,
  type SlowSubscriberPolicy,
  SubscriptionTable,
  sendToSubscribers,
} from './fanout.js';
import { LARGE_TAG_FRAME, planBurst, writeBurst } from './framing.js';
import { type ResolvedOptions, resolveOptions, type TransportOptions } from './options.js';
import { Outbox } from './outbox.js';
import {
  boundEndpoint,
  closedError,
  commonSocketOptions,
  connectEndpoint,
  endpointError,
  normalizeBindEndpoint,
  queueFullError,
  tooLargeError,
  waitAtMost,
} from './socket-options.js';
import { observe, RESOLVED, TransportCore } from './transport-core.js';
import type { PublisherTransport, TransportStats } from './types.js';
import type { ZapRegistration } from './zap-authenticator.js';
import { chooseEngine } from './zmtp-options.js';
import { createZmtpPublisherTransport } from './zmtp-publisher-transport.js';

/** Options of {@link createPublisherTransport}. `sendTimeoutMs` does not apply (XPUB never waits). */
export interface PublisherTransportOptions extends TransportOptions {
  /**
   * What happens when a subscriber is too slow and its queue (ZMQ_SNDHWM,
   * with ZMQ_XPUB_NODROP) is full: `'drop'` the message (counted) or
   * `'block'` publishing until it fits. See {@link SlowSubscriberPolicy}.
   * @default 'drop'
   */
  readonly slowSubscriber?: SlowSubscriberPolicy;
  /**
   * CURVE encryption for a publisher that binds (`listen`): it is the CURVE
   * server (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY) and subscribers need its
   * public key. Without `allowedClientKeys` any subscriber that knows the
   * public key gets in. Such a publisher cannot `connect()` (use
   * `curveClient` for that). Default: none (plain TCP).
   */
  readonly curve?: ServerCurveOptions;
  /**
   * Z85 public keys of the subscribers allowed in (needs `curve`). Enforced
   * by the process-wide ZAP handler with ZMQ_ZAP_DOMAIN +
   * ZMQ_ZAP_ENFORCE_DOMAIN, as on the server transport, so it fails closed:
   * if the handler is gone nobody gets in. Replace at runtime with
   * `setAllowedClientKeys`. Default: no allow-list.
   */
  readonly allowedClientKeys?: Iterable<string>;
  /**
   * CURVE encryption for a publisher that `connect()`s to a CURVE broker: it
   * is then a CURVE client (ZMQ_CURVE_SERVERKEY = the broker's public key,
   * ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY), and its `publicKey` is what
   * the broker's `allowedPublisherKeys` lists. A ZeroMQ socket has one CURVE
   * role, so this excludes `curve`, and `listen()` then rejects. Default:
   * none (plain TCP).
   */
  readonly curveClient?: ClientCurveOptions;
}

/** Counters of a publisher transport: the common ones plus security and unmatched. */
export interface PublisherTransportStats extends TransportStats {
  /**
   * Logical messages whose topic no subscription this publisher knew of
   * (from XPUB notifications) matched when they left the send queue: they
   * reach nobody (ZeroMQ would discard them), so they are counted here and
   * not sent. Notifications are read asynchronously: a message that leaves
   * just as a subscription arrives may be counted either way.
   */
  unmatched: number;
  /** Handshakes that failed on this publisher (wrong key, not allowed, mechanism mismatch). */
  handshakeFailures: number;
  /** Subscribers the allow-list refused (0 without an allow-list). */
  authDenied: number;
}

/** The ZeroMQ {@link PublisherTransport}, with what only it has. */
export interface ZmqPublisherTransport extends PublisherTransport {
  /** Counters, including handshake failures. */
  stats(): PublisherTransportStats;
  /**
   * Replaces the allow-list of subscriber public keys (Z85). Affects new
   * handshakes only. Throws `TypeError` when the publisher has no allow-list.
   */
  setAllowedClientKeys(keys: Iterable<string>): void;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** XPUB-based {@link PublisherTransport}. */
class ZmqPublisher extends TransportCore implements ZmqPublisherTransport {
  private readonly socket: XPublisher;
  /** Which CURVE side this socket plays, if any: `listen` and `connect` check it. */
  private readonly curveRole: 'server' | 'client' | undefined;
  private readonly zap: ZapRegistration | undefined;
  private readonly hasAllowList: boolean;
  private handshakeFailures = 0;
  private readonly opts: ResolvedOptions;
  private readonly policy: SlowSubscriberPolicy;
  private readonly bound: string[] = [];
  private readonly out = new Outbox();
  private readonly subs = new SubscriptionTable();
  private readonly plan = { count: 0, bytes: 0 };
  private unmatched = 0;
  /**
   * Whether a topic frame matched a subscription, per frame object (callers
   * such as @xsmb/pubsub reuse one frame per stream): the subscription
   * table's version when it matched, its bitwise complement when it did not.
   */
  private writing = false;
  private scheduled = false;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  private readonly runWriter = (): void => {
    this.scheduled = false;
    void this.write();
  };

  constructor(options: PublisherTransportOptions) {
    super();
    this.opts = resolveOptions(options);
    const policy = options.slowSubscriber ?? 'drop';
    if (policy !== 'drop' && policy !== 'block') {
      throw new TypeError(`slowSubscriber must be 'drop' or 'block', got ${String(policy)}`);
    }
    this.policy = policy;
    const o = this.opts;
    const { curve, curveClient } = options;
    if (curve !== undefined && curveClient !== undefined) {
      throw new TypeError(
        'curve and curveClient exclude each other: a socket is either a CURVE server (listen) or a CURVE client (connect)',
      );
    }
    const client = curveClientSocketOptions('curveClient', curveClient);
    const security = setUpCurveServer(curve, options.allowedClientKeys, {
      curve: 'curve',
      allowed: 'allowedClientKeys',
    });
    this.zap = security.zap;
    this.hasAllowList = security.hasAllowList;
    this.curveRole =
      curve !== undefined ? 'server' : curveClient !== undefined ? 'client' : undefined;
    try {
      this.socket = new XPublisher({
        ...commonSocketOptions(o),
        sendHighWaterMark: o.sendHighWaterMark,
        receiveHighWaterMark: o.receiveHighWaterMark,
        // A full subscriber fails the send at once (EAGAIN) instead of the
        // silent per-subscriber drop of plain PUB: the writer then drops
        // (counted) or backs off, per `slowSubscriber`.
        noDrop: true,
        sendTimeout: 0,
        ...security.socketOptions,
        ...client,
      });
    } catch (error) {
      this.zap?.release();
      throw error;
    }
    // Every subscribe and unsubscribe, also duplicates, so counts are per subscriber.
    this.socket.verbosity = 'allSubsUnsubs';
    observe(this.socket, {
      handshake: (address) => this.emitter.emit('connected', { endpoint: address, peer: address }),
      disconnect: (address) =>
        this.emitter.emit('disconnected', {
          endpoint: address,
          peer: address,
          reason: 'disconnected',
        }),
      handshakeFailed: (address, reason, code) => {
        this.handshakeFailures++;
        this.emitter.emit(
          'handshakeFailed',
          code === undefined ? { endpoint: address, reason } : { endpoint: address, reason, code },
        );
      },
    });
    void this.readSubscriptions();
  }

  get endpoints(): readonly string[] {
    return this.bound;
  }

  protected queueDepth(): number {
    return this.out.size;
  }

  override stats(): PublisherTransportStats {
    return {
      ...this.counters,
      queueDepth: this.out.size,
      unmatched: this.unmatched,
      handshakeFailures: this.handshakeFailures,
      authDenied: this.zap?.stats().denied ?? 0,
    };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    if (this.zap === undefined || !this.hasAllowList) {
      throw new TypeError('this publisher was created without allowedClientKeys');
    }
    this.zap.setAllowedKeys(checkAllowedKeys('allowedClientKeys', keys));
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    if (this.curveRole === 'client') {
      // Subscribers would be met by a CURVE client: no handshake could succeed.
      throw new TypeError('listen() needs curve (server keys); curveClient is for connect()');
    }
    try {
      this.socket.bindSync(normalizeBindEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
    const real = boundEndpoint(endpoint, this.socket.lastEndpoint);
    this.bound.push(real);
    return real;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    if (this.curveRole === 'server') {
      // A broker's CURVE frontend is a server too: no handshake could succeed.
      throw new TypeError(
        'connect() needs curveClient (the broker is the CURVE server); curve is for listen()',
      );
    }
    try {
      this.socket.connect(connectEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
  }

  subscriptions(): ReadonlyMap<string, number> {
    return new Map(this.subs.map);
  }

  waitForSubscribers(
    count: number,
    options: { topic?: Uint8Array; timeoutMs?: number } = {},
  ): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    return this.subs.wait(count, options.topic, options.timeoutMs);
  }

  private async readSubscriptions(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const frame = frames[0];
        if (frame !== undefined) this.subs.apply(frame);
      }
    } catch {
      // Closed while a receive was pending.
    }
  }

  publish(topic: Uint8Array, message: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    const o = this.opts;
    if (message.length > o.maxMessageBytes) {
      return Promise.reject(tooLargeError(message.length, o.maxMessageBytes));
    }
    const out = this.out;
    if (out.size < o.sendQueueDepth && !out.hasWaiters) {
      out.pushTopic(topic, message);
      this.counters.messagesOut++;
      if (!this.writing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.runWriter);
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message, topic);
  }

  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    const out = this.out;
    const plan = this.plan;
    const burst = this.opts.burst;
    let first = true;
    try {
      outer: while (out.size > 0 && !this.socket.closed) {
        if (!first && out.size < burst.maxMessages) {
          // Less than a burst queued: let this turn's publishers add to it
          // (see client-transport.ts).
          if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(this.runWriter);
          }
          break;
        }
        first = false;
        const start = out.head;
        const end = out.items.length;
        const epoch = out.epoch;
        let { items, topics } = out;
        let from = start;
        let to = end;
        // Messages no subscription matches reach nobody (ZeroMQ would discard
        // them): count them and leave them out, so that the runs around them
        // join (a subscriber of one key of an interleaved feed gets bursts).
        const matched = matchedOnly(items, topics, start, end, this.subs.matcher);
        if (matched !== undefined) {
          this.unmatched += end - start - matched.items.length;
          ({ items, topics } = matched);
          from = 0;
          to = items.length;
        }
        // Bursts are cut from runs of consecutive messages on one topic frame,
        // in queue order: a subscriber of several frames (a whole topic, all
        // its keys) sees this publisher's messages in publish order, as with
        // plain ZeroMQ. Grouping by frame would fill bursts better but reorder.
        let i = from;
        while (i < to) {
          const topic = topics[i]!;
          let runEnd = i + 1;
          while (runEnd < to && sameBytes(topics[runEnd]!, topic)) runEnd++;
          while (i < runEnd) {
            planBurst(items, i, runEnd, burst, plan);
            let frames: Array<Buffer | Uint8Array>;
            let n: number;
            if (plan.count === 0) {
              frames = [topic, LARGE_TAG_FRAME, items[i]!];
              n = 1;
            } else {
              n = plan.count;
              frames = [topic, writeBurst(items, i, n, plan.bytes)];
            }
            const result: FanoutResult = await sendToSubscribers(this.socket, frames, this.policy);
            if (result === 'closed' || epoch !== out.epoch) break outer;
            if (result === 'sent') {
              this.counters.zmqOut++;
              if (n > 1) this.counters.bursts++;
            } else {
              this.drop('subscriber at its high-water mark', n);
            }
            i += n;
          }
        }
        out.shift(end - start);
        if (out.hasWaiters) this.counters.messagesOut += out.admit(this.opts.sendQueueDepth);
      }
    } finally {
      this.writing = false;
    }
    if (out.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.closePromise = this.shutdown();
    }
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.subs.fail(closedError());
    if (this.out.size > 0 || this.out.hasWaiters) {
      if (!this.writing && !this.scheduled) void this.write();
      await waitAtMost(
        new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
        this.opts.closeTimeoutMs,
      );
    }
    this.out.rejectWaiters(closedError());
    this.drop('transport closed before the message was sent', this.out.clear());
    this.socket.linger = this.opts.lingerMs;
    // Closing the socket ends its Observer (see client-transport.ts).
    this.socket.close();
    this.zap?.release();
  }
}

/**
 * Creates a publisher transport: an XPUB that binds (`listen`) for
 * subscribers or connects to a broker. Topic first, then the burst or large
 * frames; one burst carries consecutive messages of one topic frame, so
 * messages leave in publish order. With `curve` it is a CURVE server
 * (optionally with an allow-list of subscriber keys), with `curveClient` a
 * CURVE client of a broker.
 */
export function createPublisherTransport(
  options: PublisherTransportOptions = {},
): ZmqPublisherTransport {
  if (chooseEngine(options.engine) === 'zmtp') return createZmtpPublisherTransport(options);
  return new ZmqPublisher(options);
}
