/**
 * The client side of request/response on the zmtp engine: one `@xsmb/zmtp`
 * DEALER connected to one endpoint. What both engines share is in
 * {@link ClientCore}; what differs is that sending is synchronous (a full
 * peer answers `false` and `drain` follows) and receiving is pushed by the
 * engine into a bounded queue, with no native thread in between.
 */

import { createDealer, type DealerSocket, type ZmtpError } from '@xsmb/zmtp';
import { ClientCore } from './client-core.js';
import type { ClientTransportOptions } from './client-transport.js';
import { TransportError } from './errors.js';
import { resolveOptions } from './options.js';
import { ReceiveQueue } from './receive-queue.js';
import { DONE } from './transport-core.js';
import type { ClientTransport } from './types.js';
import {
  describeZmtpFailure,
  isPermanentRefusal,
  zmtpEndpointError,
  zmtpSocketOptions,
} from './zmtp-options.js';
import { zmtpCurveClient } from './zmtp-security.js';

/** A received, accepted ZeroMQ message: its head frame, and a large message's body. */
interface Received {
  readonly head: Buffer;
  readonly large: Uint8Array | undefined;
}

/** DEALER-based {@link ClientTransport} on `@xsmb/zmtp`. */
class ZmtpClientTransport extends ClientCore {
  private readonly socket: DealerSocket;
  private readonly inbox: ReceiveQueue<Received>;
  protected readonly socketState = { closed: false };

  constructor(endpoint: string, options: ClientTransportOptions) {
    const mechanism = zmtpCurveClient('curve', options.curve);
    const o = resolveOptions(options);
    super(endpoint, o);
    const socket = createDealer({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      onMessage: (frames) => {
        const head = this.decoder.accept(frames, 0);
        if (head !== null) this.inbox.push({ head, large: frames[1] });
      },
    });
    this.socket = socket;
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => socket.pause(),
      () => socket.resume(),
    );
    socket.on('connect', (peer) => this.setConnected(peer.remoteAddress));
    socket.on('disconnect', (peer, reason) =>
      this.setDisconnected(peer.remoteAddress, reason === 'closed' ? 'disconnected' : reason),
    );
    socket.on('handshakeFailed', (target: string, error: ZmtpError, address: string) => {
      const failure = describeZmtpFailure(error);
      this.emitter.emit('handshakeFailed', { endpoint: target, address, ...failure });
      // Refused for good (key not allowed): no retry follows, so ready() fails now.
      if (isPermanentRefusal(error))
        this.failReady(new TransportError('HANDSHAKE', failure.reason));
    });
    socket.on('drain', () => {
      this.blocked = false;
      this.write();
    });
    try {
      socket.connect(endpoint);
    } catch (cause) {
      void socket.close();
      throw zmtpEndpointError(endpoint, cause);
    }
    this.checkHost();
  }

  /** Hands queued messages to the engine as bursts until it is full or the queue is empty. */
  protected override write(): void {
    const out = this.out;
    const writer = this.writer;
    const socket = this.socket;
    while (out.size > 0 && !this.blocked && !this.socketState.closed) {
      const n = writer.plan(out.items, out.head, out.items.length);
      if (!socket.send(writer.frames(out.items, out.head))) {
        this.blocked = true;
        break;
      }
      this.sent(out, n);
    }
    this.notifyDrained();
  }

  protected readonly receive = (): Promise<IteratorResult<Uint8Array>> =>
    this.inbox.next().then(this.open);

  private readonly open = (item: Received | undefined): IteratorResult<Uint8Array> => {
    if (item === undefined || this.closedFlag) return DONE;
    return { done: false, value: this.decoder.first(item.head, item.large) };
  };

  protected closeSocket(): Promise<void> {
    this.socketState.closed = true;
    this.inbox.end();
    return this.socket.close();
  }
}

/** Creates a {@link ClientTransport} on the zmtp engine (tcp:// and ipc://). */
export function createZmtpClientTransport(
  endpoint: string,
  options: ClientTransportOptions = {},
): ClientTransport {
  return new ZmtpClientTransport(endpoint, options);
}
