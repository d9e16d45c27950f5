/**
 * What the publisher transports of both engines share: option checks (the
 * slow-subscriber policy, one CURVE role per socket), the send queue and
 * its admission, the subscription table fed by XPUB notifications, the
 * pass over the queue that leaves out messages nobody subscribed to,
 * endpoints, stats, the allow-list and the close sequence. An engine
 * supplies the socket calls: `write`, `bind`, `connectSocket`, `closeSocket`.
 */

import type { AllowList } from './curve-socket.js';
import { replaceAllowedKeys } from './curve-socket.js';
import {
  matchedOnly,
  type SlowSubscriberPolicy,
  type SubscriberWaitOptions,
  SubscriptionTable,
} from './fanout.js';
import type { ResolvedOptions } from './options.js';
import type {
  PublisherTransportOptions,
  PublisherTransportStats,
  ZmqPublisherTransport,
} from './publisher-transport.js';
import { QueueSender } from './queue-sender.js';
import { closedError } from './socket-options.js';
import { RESOLVED } from './transport-core.js';

/** The CURVE side a socket plays, if any: `listen` needs a server, `connect` a client. */
export type CurveRole = 'server' | 'client' | undefined;

/**
 * Checks what every publisher checks before it makes its socket; returns
 * the slow-subscriber policy and the socket's CURVE role.
 */
export function checkPublisherOptions(options: PublisherTransportOptions): {
  readonly policy: SlowSubscriberPolicy;
  readonly curveRole: CurveRole;
} {
  const { curve, curveClient } = options;
  if (curve !== undefined && curveClient !== undefined) {
    throw new TypeError(
      'curve and curveClient exclude each other: a socket is either a CURVE server (listen) or a CURVE client (connect)',
    );
  }
  const policy = options.slowSubscriber ?? 'drop';
  if (policy !== 'drop' && policy !== 'block') {
    throw new TypeError(`slowSubscriber must be 'drop' or 'block', got ${String(policy)}`);
  }
  return {
    policy,
    curveRole: curve !== undefined ? 'server' : curveClient !== undefined ? 'client' : undefined,
  };
}

/** One pass of the writer over the queue: the messages to send, `[i, to)`. */
export interface PublishPass {
  readonly items: Uint8Array[];
  readonly topics: Uint8Array[];
  /** The next message to send. */
  i: number;
  readonly to: number;
  /** Messages of the queue the pass covers (shifted once it is done). */
  readonly count: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Base class of the publisher transports (XPUB). */
export abstract class PublisherCore extends QueueSender implements ZmqPublisherTransport {
  protected readonly subs = new SubscriptionTable();
  protected readonly policy: SlowSubscriberPolicy;
  protected handshakeFailures = 0;
  private readonly curveRole: CurveRole;
  private unmatched = 0;
  private readonly bound: string[] = [];

  /**
   * @param opts the resolved options.
   * @param checked what {@link checkPublisherOptions} returned.
   * @param allowList the CURVE allow-list (or its absence).
   */
  constructor(
    opts: ResolvedOptions,
    checked: ReturnType<typeof checkPublisherOptions>,
    private readonly allowList: AllowList,
  ) {
    // Bounded by count only: a publisher's queue has no byte bound.
    super(opts, Number.POSITIVE_INFINITY);
    this.policy = checked.policy;
    this.curveRole = checked.curveRole;
  }

  /** Binds the engine's socket; returns the real endpoint. */
  protected abstract bind(endpoint: string): Promise<string>;

  /** Connects the engine's socket to a broker. */
  protected abstract connectSocket(endpoint: string): void;

  /** Closes the engine's socket (after the flush). */
  protected abstract closeSocket(): Promise<void>;

  get endpoints(): readonly string[] {
    return this.bound;
  }

  override stats(): PublisherTransportStats {
    return {
      ...this.counters,
      queueDepth: this.out.size,
      unmatched: this.unmatched,
      handshakeFailures: this.handshakeFailures,
      authDenied: this.allowList.denied(),
    };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    replaceAllowedKeys(this.allowList, keys, 'publisher');
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    if (this.curveRole === 'client') {
      // Subscribers would be met by a CURVE client: no handshake could succeed.
      throw new TypeError('listen() needs curve (server keys); curveClient is for connect()');
    }
    const real = await this.bind(endpoint);
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
    this.connectSocket(endpoint);
  }

  subscriptions(): ReadonlyMap<string, number> {
    return this.subs.snapshot();
  }

  waitForSubscribers(count: number, options: SubscriberWaitOptions = {}): Promise<void> {
    return this.subs.wait(count, options, this.closedFlag ? closedError() : undefined);
  }

  publish(topic: Uint8Array, message: Uint8Array): Promise<void> {
    const refused = this.refuse(message);
    if (refused !== null) return refused;
    const out = this.out;
    if (!this.hasRoom(out)) return this.overflow(out, message, topic);
    out.pushTopic(topic, message);
    this.counters.messagesOut++;
    if (!this.writing) this.deferWrite();
    return RESOLVED;
  }

  /**
   * A pass over everything queued now. Messages no subscription matches
   * reach nobody (ZeroMQ would discard them): they are counted in
   * `unmatched` and left out, so that the runs around them join (a
   * subscriber of one key of an interleaved feed gets bursts).
   */
  protected startPass(): PublishPass {
    const out = this.out;
    const start = out.head;
    const end = out.items.length;
    const matched = matchedOnly(out.items, out.topics, start, end, this.subs.matcher);
    if (matched === undefined) {
      return { items: out.items, topics: out.topics, i: start, to: end, count: end - start };
    }
    this.unmatched += end - start - matched.items.length;
    const to = matched.items.length;
    return { items: matched.items, topics: matched.topics, i: 0, to, count: end - start };
  }

  /**
   * Plans the next burst of `pass` and returns its frames (topic first).
   * Bursts are cut from runs of consecutive messages on one topic frame, in
   * queue order: a subscriber of several frames (a whole topic, all its
   * keys) sees this publisher's messages in publish order, as with plain
   * ZeroMQ. Grouping by frame would fill bursts better but reorder.
   * `writer.count` says how many messages it carries.
   */
  protected nextBurst(pass: PublishPass): Uint8Array[] {
    const { items, topics, i, to } = pass;
    const topic = topics[i]!;
    const max = i + this.writer.limits.maxMessages;
    let runEnd = i + 1;
    while (runEnd < to && runEnd < max && sameBytes(topics[runEnd]!, topic)) runEnd++;
    this.writer.plan(items, i, runEnd);
    return this.writer.frames(items, i, topic);
  }

  /** `n` messages of a pass left as one ZeroMQ message. */
  protected burstSent(n: number): void {
    this.counters.zmqOut++;
    if (n > 1) this.counters.bursts++;
  }

  /** A pass is done: its messages leave the queue, and waiting publishers get room. */
  protected endPass(pass: PublishPass): void {
    this.out.shift(pass.count);
    this.admitWaiting(this.out);
  }

  /** A subscriber was full under `'drop'`: `n` messages are dropped (counted). */
  protected droppedAtHwm(n: number): void {
    this.drop('subscriber at its high-water mark', n);
  }

  protected async shutdown(): Promise<void> {
    this.subs.fail(closedError());
    await this.flushBeforeClose();
    this.discard(this.out);
    await this.closeSocket();
  }
}
