/**
 * The subscribing side of pub/sub: a SUB connected to publishers or a broker.
 */

import { Subscriber } from 'zeromq';
import type { ClientCurveOptions } from './curve.js';
import { curveClientSocketOptions } from './curve-socket.js';
import { logTransportEvents } from './event-log.js';
import { FRAMING_SLACK_BYTES, resolveOptions, type TransportOptions } from './options.js';
import {
  commonSocketOptions,
  connectEndpoint,
  endpointError,
  receiveOrClosed,
} from './socket-options.js';
import { SubscriberCore } from './subscriber-core.js';
import { DONE, observe, peerEvents } from './transport-core.js';
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

/** SUB-based {@link SubscriberTransport}. */
class ZmqSubscriber extends SubscriberCore implements SubscriberTransport {
  protected readonly socket: Subscriber;

  constructor(options: SubscriberTransportOptions) {
    const o = resolveOptions(options);
    super(o.maxMessageBytes);
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
    observe(this.socket, peerEvents(this.emitter));
    for (const endpoint of options.endpoints ?? []) this.connect(endpoint);
  }

  protected connectSocket(endpoint: string): void {
    try {
      this.socket.connect(connectEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
  }

  protected disconnectSocket(endpoint: string): void {
    try {
      this.socket.disconnect(endpoint);
    } catch {
      // libzmq refuses (ENOENT) an endpoint never connected to: nothing to undo.
    }
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

  private readonly receive = async (): Promise<IteratorResult<Delivery>> => {
    for (;;) {
      const frames = await receiveOrClosed(this.socket);
      if (frames === null) return DONE;
      const head = this.accept(frames);
      if (head !== null) return { done: false, value: this.first(frames[0]!, head, frames[2]) };
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
  const transport =
    chooseEngine(options.engine, options.endpoints?.[0]) === 'zmtp'
      ? createZmtpSubscriberTransport(options)
      : new ZmqSubscriber(options);
  logTransportEvents(transport, {
    logger: options.logger,
    role: 'subscriber',
    mechanism: options.curve === undefined ? 'NULL' : 'CURVE',
  });
  return transport;
}
