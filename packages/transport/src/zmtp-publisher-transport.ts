/**
 * The publishing side of pub/sub on the zmtp engine: an `@xsmb/zmtp` XPUB
 * (subscriptions reported per subscriber), bound for subscribers or
 * connected to a broker. Same topic-frame-then-burst wire, same ordering
 * rule (a burst is a run of consecutive messages on one topic frame) and the
 * same slow-subscriber policy as the libzmq publisher transport.
 */

import { createXPub, type XPubSocket, type ZmtpError } from '@xsmb/zmtp';
import { checkAllowedKeys } from './curve-socket.js';
import { matchedOnly, type SlowSubscriberPolicy, SubscriptionTable } from './fanout.js';
import { LARGE_TAG_FRAME, planBurst, writeBurst } from './framing.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import type {
  PublisherTransportOptions,
  PublisherTransportStats,
  ZmqPublisherTransport,
} from './publisher-transport.js';
import { closedError, queueFullError, tooLargeError, waitAtMost } from './socket-options.js';
import { RESOLVED, TransportCore } from './transport-core.js';
import { describeZmtpFailure, zmtpEndpointError, zmtpSocketOptions } from './zmtp-options.js';
import { type ZmtpCurveServer, zmtpCurveClient, zmtpCurveServer } from './zmtp-security.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An XPUB notification frame (`0x01`/`0x00` + prefix) for the subscription table. */
function notification(subscribe: boolean, prefix: Uint8Array): Uint8Array {
  const frame = new Uint8Array(prefix.length + 1);
  frame[0] = subscribe ? 1 : 0;
  frame.set(prefix, 1);
  return frame;
}

/** XPUB-based publisher transport on `@xsmb/zmtp`. */
class ZmtpPublisher extends TransportCore implements ZmqPublisherTransport {
  private readonly socket: XPubSocket;
  private readonly security: ZmtpCurveServer;
  /** Which CURVE side this socket plays, if any: `listen` and `connect` check it. */
  private readonly curveRole: 'server' | 'client' | undefined;
  private readonly opts: ResolvedOptions;
  private readonly policy: SlowSubscriberPolicy;
  private readonly bound: string[] = [];
  private readonly out = new Outbox();
  private readonly subs = new SubscriptionTable();
  private readonly plan = { count: 0, bytes: 0 };
  private unmatched = 0;
  private handshakeFailures = 0;
  private scheduled = false;
  /** A full subscriber refused a burst under `'block'`: wait for `drain`. */
  private blocked = false;
  /** The pass in progress: what is left of the queued range being sent. */
  private batch: {
    readonly items: Uint8Array[];
    readonly topics: Uint8Array[];
    i: number;
    readonly to: number;
    /** Messages of the queue the pass covers (shifted once it is done). */
    readonly count: number;
  } | null = null;
  private socketClosed = false;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.write();
  };

  constructor(options: PublisherTransportOptions) {
    super();
    const { curve, curveClient } = options;
    if (curve !== undefined && curveClient !== undefined) {
      throw new TypeError(
        'curve and curveClient exclude each other: a socket is either a CURVE server (listen) or a CURVE client (connect)',
      );
    }
    this.security = zmtpCurveServer(curve, options.allowedClientKeys, {
      curve: 'curve',
      allowed: 'allowedClientKeys',
    });
    const mechanism = this.security.mechanism ?? zmtpCurveClient('curveClient', curveClient);
    this.curveRole =
      curve !== undefined ? 'server' : curveClient !== undefined ? 'client' : undefined;
    this.opts = resolveOptions(options);
    const policy = options.slowSubscriber ?? 'drop';
    if (policy !== 'drop' && policy !== 'block') {
      throw new TypeError(`slowSubscriber must be 'drop' or 'block', got ${String(policy)}`);
    }
    this.policy = policy;
    // noDrop: a full subscriber refuses the burst for everyone (as libzmq's
    // XPUB_NODROP), and the policy decides: drop it (counted) or wait.
    const socket = createXPub({
      ...zmtpSocketOptions(this.opts),
      ...(mechanism === undefined ? {} : { mechanism }),
      noDrop: true,
    });
    this.socket = socket;
    socket.on('subscribe', (prefix) => this.subs.apply(notification(true, prefix)));
    socket.on('unsubscribe', (prefix) => this.subs.apply(notification(false, prefix)));
    socket.on('connect', (peer) =>
      this.emitter.emit('connected', { endpoint: peer.endpoint, peer: peer.remoteAddress }),
    );
    socket.on('disconnect', (peer) =>
      this.emitter.emit('disconnected', {
        endpoint: peer.endpoint,
        peer: peer.remoteAddress,
        reason: 'disconnected',
      }),
    );
    socket.on('handshakeFailed', (endpoint: string, error: ZmtpError) => {
      this.handshakeFailures++;
      this.emitter.emit('handshakeFailed', { endpoint, ...describeZmtpFailure(error) });
    });
    socket.on('drain', () => {
      this.blocked = false;
      this.write();
    });
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
      authDenied: this.security.denied(),
    };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    if (!this.security.hasAllowList) {
      throw new TypeError('this publisher was created without allowedClientKeys');
    }
    this.security.setAllowedKeys(checkAllowedKeys('allowedClientKeys', keys));
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    if (this.curveRole === 'client') {
      throw new TypeError('listen() needs curve (server keys); curveClient is for connect()');
    }
    let real: string;
    try {
      real = await this.socket.bind(endpoint);
    } catch (cause) {
      throw zmtpEndpointError(endpoint, cause);
    }
    this.bound.push(real);
    return real;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    if (this.curveRole === 'server') {
      throw new TypeError(
        'connect() needs curveClient (the broker is the CURVE server); curve is for listen()',
      );
    }
    try {
      this.socket.connect(endpoint);
    } catch (cause) {
      throw zmtpEndpointError(endpoint, cause);
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
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.runWriter);
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message, topic);
  }

  /**
   * Sends what is queued, oldest first, in bursts cut from runs of
   * consecutive messages on one topic frame (so subscribers of several
   * frames see publish order). Messages no subscription matches are counted
   * and left out, so the runs around them join (see `matchedOnly`). Under
   * `'block'`, a full subscriber stops the pass where it is; `drain` resumes it.
   */
  private write(): void {
    const out = this.out;
    const plan = this.plan;
    const burst = this.opts.burst;
    while (!this.blocked && !this.socketClosed) {
      let b = this.batch;
      if (b === null) {
        if (out.size === 0) break;
        const start = out.head;
        const end = out.items.length;
        const matched = matchedOnly(out.items, out.topics, start, end, this.subs.matcher);
        if (matched === undefined) {
          b = { items: out.items, topics: out.topics, i: start, to: end, count: end - start };
        } else {
          this.unmatched += end - start - matched.items.length;
          b = {
            items: matched.items,
            topics: matched.topics,
            i: 0,
            to: matched.items.length,
            count: end - start,
          };
        }
        this.batch = b;
      }
      const { items, topics, to } = b;
      while (b.i < to) {
        const i = b.i;
        const topic = topics[i]!;
        let runEnd = i + 1;
        while (runEnd < to && runEnd - i < burst.maxMessages && sameBytes(topics[runEnd]!, topic)) {
          runEnd++;
        }
        planBurst(items, i, runEnd, burst, plan);
        let frames: Uint8Array[];
        let n: number;
        if (plan.count === 0) {
          frames = [topic, LARGE_TAG_FRAME, items[i]!];
          n = 1;
        } else {
          n = plan.count;
          frames = [topic, writeBurst(items, i, n, plan.bytes)];
        }
        if (this.socket.send(frames)) {
          this.counters.zmqOut++;
          if (n > 1) this.counters.bursts++;
        } else if (this.policy === 'block') {
          this.blocked = true;
          return;
        } else {
          this.drop('subscriber at its high-water mark', n);
        }
        b.i = i + n;
      }
      this.batch = null;
      out.shift(b.count);
      if (out.hasWaiters) this.counters.messagesOut += out.admit(this.opts.sendQueueDepth);
    }
    if (out.size === 0 && this.batch === null && this.drainWaiters.length > 0) {
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
      this.write();
      await waitAtMost(
        new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
        this.opts.closeTimeoutMs,
      );
    }
    this.out.rejectWaiters(closedError());
    this.batch = null;
    this.drop('transport closed before the message was sent', this.out.clear());
    this.socketClosed = true;
    await this.socket.close();
  }
}

/** Creates a publisher transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpPublisherTransport(
  options: PublisherTransportOptions = {},
): ZmqPublisherTransport {
  return new ZmtpPublisher(options);
}
