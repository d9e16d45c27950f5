/**
 * The subscribing side of pub/sub: a SUB connected to publishers or a broker.
 */

import { Subscriber } from 'zeromq';
import type { ClientCurveOptions } from './curve.js';
import { curveClientSocketOptions } from './curve-socket.js';
import {
  BurstCursor,
  checkBurst,
  checkFrames,
  TAG_BURST,
  TAG_LARGE,
  withoutOversize,
} from './framing.js';
import {
  DEFAULTS,
  FRAMING_SLACK_BYTES,
  type ResolvedOptions,
  resolveOptions,
  type TransportOptions,
} from './options.js';
import {
  closedError,
  commonSocketOptions,
  connectEndpoint,
  endpointError,
} from './socket-options.js';
import { DONE, observe, TransportCore } from './transport-core.js';
import type { Delivery, SubscriberTransport } from './types.js';
import { chooseEngine } from './zmtp-options.js';
import { createZmtpSubscriberTransport } from './zmtp-subscriber-transport.js';

/**
 * Options of {@link createSubscriberTransport}. The sending options
 * (`sendQueueDepth`, `whenFull`, `burst`, `sendTimeoutMs`, `closeTimeoutMs`)
 * do not apply: a subscriber only receives.
 */
export interface SubscriberTransportOptions extends TransportOptions {
  /** Endpoints to connect to right away; more with `connect()`. Default: none. */
  readonly endpoints?: readonly string[];
  /**
   * CURVE encryption and authentication (ZMQ_CURVE_SERVERKEY,
   * ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY): the subscriber is the CURVE
   * client of the publisher or broker it connects to. `serverPublicKey` is
   * the publisher's (or broker's) public key, `publicKey` is what their
   * allow-list contains. The same keys are used for every endpoint. A
   * refused key or a wrong server key shows as a `handshakeFailed` event;
   * nothing is delivered. Default: none (plain TCP).
   */
  readonly curve?: ClientCurveOptions;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** SUB-based {@link SubscriberTransport}. */
class ZmqSubscriber extends TransportCore implements SubscriberTransport {
  private readonly socket: Subscriber;
  private readonly opts: ResolvedOptions;
  private readonly burst = new BurstCursor();
  private frameTopic: Buffer = Buffer.alloc(0);
  /** libzmq's frame limit (ZMQ_MAXMSGSIZE) on this socket, minus the framing slack. */
  private readonly frameLimit: number;

  constructor(options: SubscriberTransportOptions) {
    super();
    this.opts = resolveOptions(options);
    const o = this.opts;
    this.frameLimit = Math.max(o.maxMessageBytes, DEFAULTS.maxMessageBytes);
    this.socket = new Subscriber({
      ...commonSocketOptions(o),
      // libzmq treats a frame above ZMQ_MAXMSGSIZE as a protocol error and
      // ends the session for good (no reconnect): one message above this
      // subscriber's limit from a publisher with the default limit would cut
      // it off that publisher silently. So libzmq's bound is never below the
      // default limit, and messages above `maxMessageBytes` are dropped and
      // counted here (receive), the connection kept.
      maxMessageSize: this.frameLimit + FRAMING_SLACK_BYTES,
      receiveHighWaterMark: o.receiveHighWaterMark,
      ...curveClientSocketOptions('curve', options.curve),
    });
    observe(this.socket, {
      handshake: (address) => this.emitter.emit('connected', { endpoint: address, peer: address }),
      disconnect: (address) =>
        this.emitter.emit('disconnected', {
          endpoint: address,
          peer: address,
          reason: 'disconnected',
        }),
      handshakeFailed: (address, reason, code) =>
        this.emitter.emit(
          'handshakeFailed',
          code === undefined ? { endpoint: address, reason } : { endpoint: address, reason, code },
        ),
    });
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
  }

  protected queueDepth(): number {
    return 0;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    try {
      this.socket.connect(connectEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
  }

  subscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    this.socket.subscribe(toBuffer(prefix));
  }

  unsubscribe(prefix: Uint8Array): void {
    if (this.closedFlag) throw closedError();
    this.socket.unsubscribe(toBuffer(prefix));
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.socket.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.iterate(this.burst, this.socket, this.takeEntry, this.receive);
  }

  drainBuffered(
    sink: (topic: Uint8Array, burst: Uint8Array, start: number, end: number) => boolean,
  ): void {
    const topic = this.frameTopic;
    const cursor = this.burst;
    let frame = cursor.frame;
    while (frame !== null && !this.closedFlag) {
      this.counters.messagesIn++;
      const start = cursor.skip();
      if (!sink(topic, frame, start, cursor.end)) return;
      frame = cursor.frame;
    }
  }

  private readonly takeEntry = (): Delivery => {
    this.counters.messagesIn++;
    return { topic: this.frameTopic, message: this.burst.take() };
  };

  private readonly receive = async (): Promise<IteratorResult<Delivery>> => {
    const max = this.opts.maxMessageBytes;
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return DONE;
      }
      this.counters.zmqIn++;
      const reason = checkFrames(frames, 1, max);
      let head = frames[1]!;
      if (reason !== undefined) {
        if (
          frames.length === 2 &&
          head.length > 0 &&
          head[0] === TAG_BURST &&
          checkBurst(head, this.frameLimit) === undefined
        ) {
          // Well formed, with messages above this subscriber's limit (from a
          // publisher with a larger one): drop those, deliver the others.
          const kept = withoutOversize(head, max);
          this.drop('burst entry above maxMessageBytes', kept.dropped);
          if (kept.frame === null) continue;
          head = kept.frame;
        } else {
          this.drop(reason, 1);
          continue;
        }
      }
      const topic = frames[0]!;
      if (head[0] === TAG_LARGE) {
        this.counters.messagesIn++;
        return { done: false, value: { topic, message: frames[2]! } };
      }
      this.burst.load(head);
      this.frameTopic = topic;
      return { done: false, value: this.takeEntry() };
    }
  };
}

/**
 * Creates a subscriber transport: a SUB connected to publishers or a broker.
 * Nothing arrives until `subscribe()` is called (an empty prefix matches all).
 */
export function createSubscriberTransport(
  options: SubscriberTransportOptions = {},
): SubscriberTransport {
  if (chooseEngine(options.engine, options.endpoints?.[0]) === 'zmtp') {
    return createZmtpSubscriberTransport(options);
  }
  return new ZmqSubscriber(options);
}
