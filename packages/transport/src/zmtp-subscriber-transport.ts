/**
 * The subscribing side of pub/sub on the zmtp engine: an `@xsmb/zmtp` SUB
 * connected to publishers or a broker. Received messages wait in a bounded
 * queue; above `receiveHighWaterMark` the engine stops reading, so a slow
 * consumer bounds memory and the publisher's own policy (drop or block)
 * applies, as with libzmq.
 */

import { createSub, type SubSocket, type ZmtpError } from '@xsmb/zmtp';
import {
  BurstCursor,
  checkBurst,
  checkFrames,
  TAG_BURST,
  TAG_LARGE,
  withoutOversize,
} from './framing.js';
import { DEFAULTS, FRAMING_SLACK_BYTES, type ResolvedOptions, resolveOptions } from './options.js';
import { ReceiveQueue } from './receive-queue.js';
import { closedError } from './socket-options.js';
import type { SubscriberTransportOptions } from './subscriber-transport.js';
import { DONE, TransportCore } from './transport-core.js';
import type { Delivery, SubscriberTransport } from './types.js';
import { describeZmtpFailure, zmtpEndpointError, zmtpSocketOptions } from './zmtp-options.js';
import { zmtpCurveClient } from './zmtp-security.js';

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

const EMPTY = new Uint8Array(0);

/** A received ZeroMQ message: its topic frame and a checked burst, or a large message. */
type Received =
  | { readonly topic: Buffer; readonly burst: Buffer }
  | { readonly topic: Buffer; readonly large: Uint8Array };

/** SUB-based subscriber transport on `@xsmb/zmtp`. */
class ZmtpSubscriber extends TransportCore implements SubscriberTransport {
  private readonly socket: SubSocket;
  private readonly opts: ResolvedOptions;
  private readonly inbox: ReceiveQueue<Received>;
  private readonly burst = new BurstCursor();
  private frameTopic: Buffer = Buffer.alloc(0);
  private readonly ended = { closed: false };
  /** The largest frame accepted from publishers (see the constructor). */
  private readonly frameLimit: number;

  constructor(options: SubscriberTransportOptions) {
    super();
    const mechanism = zmtpCurveClient('curve', options.curve);
    this.frameLimit = Math.max(resolveOptions(options).maxMessageBytes, DEFAULTS.maxMessageBytes);
    this.opts = resolveOptions(options);
    const o = this.opts;
    const socket = createSub({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      // As on libzmq: never cut a publisher with the default limit off for
      // one large message; messages above maxMessageBytes are dropped here.
      maxMessageBytes: Math.max(o.maxMessageBytes, DEFAULTS.maxMessageBytes) + FRAMING_SLACK_BYTES,
      onMessage: (frames) => this.onMessage(frames),
    });
    this.socket = socket;
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => socket.pause(),
      () => socket.resume(),
    );
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
    socket.on('handshakeFailed', (endpoint: string, error: ZmtpError) =>
      this.emitter.emit('handshakeFailed', { endpoint, ...describeZmtpFailure(error) }),
    );
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
  }

  protected queueDepth(): number {
    return 0;
  }

  connect(endpoint: string): void {
    if (this.closedFlag) throw closedError();
    try {
      this.socket.connect(endpoint);
    } catch (cause) {
      throw zmtpEndpointError(endpoint, cause);
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

  private onMessage(frames: Uint8Array[]): void {
    this.counters.zmqIn++;
    const max = this.opts.maxMessageBytes;
    const reason = checkFrames(frames, 1, max);
    let head = toBuffer(frames[1] ?? EMPTY);
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
        if (kept.frame === null) return;
        head = kept.frame;
      } else {
        this.drop(reason, 1);
        return;
      }
    }
    const topic = toBuffer(frames[0]!);
    this.inbox.push(head[0] === TAG_LARGE ? { topic, large: frames[2]! } : { topic, burst: head });
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.ended.closed = true;
      this.inbox.end();
      return this.socket.close();
    }
    return Promise.resolve();
  }

  private open(item: Received | undefined): IteratorResult<Delivery> {
    if (item === undefined || this.closedFlag) return DONE;
    if ('large' in item) {
      this.counters.messagesIn++;
      return { done: false, value: { topic: item.topic, message: item.large } };
    }
    this.burst.load(item.burst);
    this.frameTopic = item.topic;
    return { done: false, value: this.takeEntry() };
  }

  private readonly receive = (): Promise<IteratorResult<Delivery>> =>
    this.inbox.next().then((item) => this.open(item));

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.iterate(this.burst, this.ended, this.takeEntry, this.receive);
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
}

/** Creates a subscriber transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpSubscriberTransport(
  options: SubscriberTransportOptions = {},
): SubscriberTransport {
  return new ZmtpSubscriber(options);
}
