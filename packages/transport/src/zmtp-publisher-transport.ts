/**
 * The publishing side of pub/sub on the zmtp engine: an `@xsmb/zmtp` XPUB
 * (subscriptions reported per subscriber), bound for subscribers or
 * connected to a broker. What both engines share is in
 * {@link PublisherCore}; here are the socket calls. Sending is synchronous:
 * under `'block'` a full subscriber stops the pass where it is, and the
 * engine's `drain` resumes it.
 */

import { createXPub, type XPubSocket } from '@xsmb/zmtp';
import { subscriptionFrame } from './fanout.js';
import { resolveOptions } from './options.js';
import { checkPublisherOptions, type PublishPass } from './publisher-core.js';
import type { PublisherTransportOptions, ZmqPublisherTransport } from './publisher-transport.js';
import { SyncPublisherCore } from './sync-publisher-core.js';
import { bindZmtp, connectZmtp, forwardPeerEvents, zmtpSocketOptions } from './zmtp-options.js';
import { zmtpCurveClient, zmtpCurveServer } from './zmtp-security.js';

/** XPUB-based publisher transport on `@xsmb/zmtp`. */
class ZmtpPublisher extends SyncPublisherCore {
  private readonly socket: XPubSocket;

  constructor(options: PublisherTransportOptions) {
    const checked = checkPublisherOptions(options);
    const security = zmtpCurveServer(options.curve, options.allowedClientKeys);
    const mechanism = security.mechanism ?? zmtpCurveClient('curveClient', options.curveClient);
    const o = resolveOptions(options);
    super(o, checked, security);
    // noDrop: a full subscriber refuses the burst for everyone (as libzmq's
    // XPUB_NODROP), and the policy decides: drop it (counted) or wait.
    const socket = createXPub({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      noDrop: true,
    });
    this.socket = socket;
    socket.on('subscribe', (prefix) => this.subs.apply(subscriptionFrame(true, prefix)));
    socket.on('unsubscribe', (prefix) => this.subs.apply(subscriptionFrame(false, prefix)));
    forwardPeerEvents(socket, this.emitter, () => this.handshakeFailures++);
    socket.on('drain', () => this.resume());
  }

  protected bind(endpoint: string): Promise<string> {
    return bindZmtp(this.socket, endpoint);
  }

  protected connectSocket(endpoint: string): void {
    connectZmtp(this.socket, endpoint);
  }

  protected sendNext(pass: PublishPass): boolean {
    const frames = this.nextBurst(pass);
    const n = this.writer.count;
    if (this.socket.send(frames)) this.burstSent(n);
    else if (this.policy === 'block') return false;
    else this.droppedAtHwm(n);
    pass.i += n;
    return true;
  }

  protected closeSocket(): Promise<void> {
    this.stop();
    return this.socket.close();
  }
}

/** Creates a publisher transport on the zmtp engine (tcp:// and ipc://). */
export function createZmtpPublisherTransport(
  options: PublisherTransportOptions = {},
): ZmqPublisherTransport {
  return new ZmtpPublisher(options);
}
