/**
 * The publishing side of pub/sub on the libzmq engine: a zeromq.js XPUB (so
 * subscriptions are visible), bound for subscribers or connected to a
 * broker's XSUB side. What both engines share is in {@link PublisherCore};
 * here are the socket calls.
 */

import { XPublisher } from 'zeromq';
import {
  curveClientSocketOptions,
  openCurveServerSocket,
  setUpCurveServer,
  zapAllowList,
} from './curve-socket.js';
import { sendToSubscribers } from './fanout.js';
import { resolveOptions } from './options.js';
import { checkPublisherOptions, PublisherCore } from './publisher-core.js';
import type { PublisherTransportOptions, ZmqPublisherTransport } from './publisher-transport.js';
import {
  bindLibzmq,
  closeLibzmq,
  connectEndpoint,
  endpointError,
  queueSocketOptions,
} from './socket-options.js';
import { observe, peerEvents } from './transport-core.js';
import type { ZapRegistration } from './zap-authenticator.js';

/** XPUB-based publisher transport on zeromq.js. */
class ZmqPublisher extends PublisherCore {
  private readonly socket: XPublisher;
  private readonly zap: ZapRegistration | undefined;

  constructor(options: PublisherTransportOptions) {
    const o = resolveOptions(options);
    const checked = checkPublisherOptions(options);
    const client = curveClientSocketOptions('curveClient', options.curveClient);
    const security = setUpCurveServer(options.curve, options.allowedClientKeys);
    super(o, checked, zapAllowList(security));
    this.zap = security.zap;
    this.socket = openCurveServerSocket(
      security,
      (curveServer) =>
        new XPublisher({
          ...queueSocketOptions(o),
          // A full subscriber fails the send at once (EAGAIN) instead of the
          // silent per-subscriber drop of plain PUB: the writer then drops
          // (counted) or backs off, per `slowSubscriber`.
          noDrop: true,
          sendTimeout: 0,
          ...curveServer,
          ...client,
        }),
    );
    // Every subscribe and unsubscribe, also duplicates, so counts are per subscriber.
    this.socket.verbosity = 'allSubsUnsubs';
    observe(
      this.socket,
      peerEvents(this.emitter, () => this.handshakeFailures++),
    );
    void this.readSubscriptions();
  }

  protected bind(endpoint: string): Promise<string> {
    return Promise.resolve(bindLibzmq(this.socket, endpoint));
  }

  protected connectSocket(endpoint: string): void {
    try {
      this.socket.connect(connectEndpoint(endpoint));
    } catch (cause) {
      throw endpointError(endpoint, cause);
    }
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

  /** The writer loop: the only caller of `socket.send` (zeromq.js allows one at a time). */
  protected override async writeLoop(): Promise<void> {
    const out = this.out;
    const socket = this.socket;
    let first = true;
    try {
      outer: while (out.size > 0 && !socket.closed) {
        if (!first && out.size < this.writer.limits.maxMessages) {
          // Less than a burst queued: let this turn's publishers add to it
          // (see client-transport.ts).
          this.deferWrite();
          break;
        }
        first = false;
        const epoch = out.epoch;
        const pass = this.startPass();
        while (pass.i < pass.to) {
          const frames = this.nextBurst(pass);
          const n = this.writer.count;
          const result = await sendToSubscribers(socket, frames, this.policy);
          if (result === 'closed' || epoch !== out.epoch) break outer;
          if (result === 'sent') this.burstSent(n);
          else this.droppedAtHwm(n);
          pass.i += n;
        }
        this.endPass(pass);
      }
    } finally {
      this.writing = false;
    }
    this.notifyDrained();
  }

  protected closeSocket(): Promise<void> {
    closeLibzmq(this.socket, this.opts.lingerMs);
    this.zap?.release();
    return Promise.resolve();
  }
}

/** Creates a publisher transport on the libzmq engine (tcp://, ipc://, inproc://). */
export function createLibzmqPublisherTransport(
  options: PublisherTransportOptions,
): ZmqPublisherTransport {
  return new ZmqPublisher(options);
}
