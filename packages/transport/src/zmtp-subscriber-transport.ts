/**
 * The subscribing side of pub/sub on the zmtp engine: an `@xsmb/zmtp` SUB
 * connected to publishers or a broker. Received messages wait in a bounded
 * queue; above `receiveHighWaterMark` the engine stops reading, so a slow
 * consumer bounds memory and the publisher's own policy (drop or block)
 * applies, as with libzmq.
 */

import { createSub, type SubSocket } from '@xsmb/zmtp';
import { FRAMING_SLACK_BYTES, resolveOptions } from './options.js';
import { ReceiveQueue } from './receive-queue.js';
import { SubscriberCore } from './subscriber-core.js';
import type { SubscriberTransportOptions } from './subscriber-transport.js';
import { DONE } from './transport-core.js';
import type { Delivery, SubscriberTransport } from './types.js';
import { connectZmtp, forwardPeerEvents, zmtpSocketOptions } from './zmtp-options.js';
import { zmtpCurveClient } from './zmtp-security.js';

/** A received, accepted ZeroMQ message (see `SubscriberCore.accept`). */
interface Received {
  readonly topic: Uint8Array;
  /** The burst frame, or the large-message tag frame. */
  readonly head: Buffer;
  /** The large message's body, when `head` is the tag. */
  readonly large: Uint8Array | undefined;
}

/** SUB-based subscriber transport on `@xsmb/zmtp`. */
class ZmtpSubscriber extends SubscriberCore implements SubscriberTransport {
  protected readonly socket: SubSocket;
  private readonly inbox: ReceiveQueue<Received>;
  private readonly ended = { closed: false };

  constructor(options: SubscriberTransportOptions) {
    const o = resolveOptions(options);
    super(o.maxMessageBytes);
    const mechanism = zmtpCurveClient('curve', options.curve);
    const socket = createSub({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      // As on libzmq: never cut a publisher with the default limit off for
      // one large message; messages above maxMessageBytes are dropped here.
      maxMessageBytes: this.frameLimit + FRAMING_SLACK_BYTES,
      onMessage: (frames) => this.onMessage(frames),
    });
    this.socket = socket;
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => socket.pause(),
      () => socket.resume(),
    );
    forwardPeerEvents(socket, this.emitter);
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
  }

  protected connectSocket(endpoint: string): void {
    connectZmtp(this.socket, endpoint);
  }

  protected disconnectSocket(endpoint: string): void {
    this.socket.disconnect(endpoint);
  }

  private onMessage(frames: Uint8Array[]): void {
    const head = this.accept(frames);
    if (head !== null) this.inbox.push({ topic: frames[0]!, head, large: frames[2] });
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
    return { done: false, value: this.first(item.topic, item.head, item.large) };
  }

  private readonly receive = (): Promise<IteratorResult<Delivery>> =>
    this.inbox.next().then((item) => this.open(item));

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.iterate(this.burst, this.ended, this.takeEntry, this.receive);
  }
}

/** Creates a subscriber transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpSubscriberTransport(
  options: SubscriberTransportOptions = {},
): SubscriberTransport {
  return new ZmtpSubscriber(options);
}
