/**
 * The client side of request/response on the libzmq engine: one zeromq.js
 * DEALER connected to one endpoint. What both engines share is in
 * {@link ClientCore}; here are the socket calls.
 */

import { Dealer } from 'zeromq';
import { ClientCore } from './client-core.js';
import { type ClientCurveOptions, checkCurveKey } from './curve.js';
import { TransportError } from './errors.js';
import { logTransportEvents } from './event-log.js';
import { resolveOptions, type TransportOptions } from './options.js';
import {
  closeLibzmq,
  commonSocketOptions,
  connectEndpoint,
  endpointError,
  errnoCode,
  receiveOrClosed,
} from './socket-options.js';
import { DONE, handshakeFailedEvent, observe } from './transport-core.js';
import type { ClientTransport } from './types.js';
import { createZmtpClientTransport } from './zmtp-client-transport.js';
import { chooseEngine } from './zmtp-options.js';

/** Options of {@link createClientTransport}. */
export interface ClientTransportOptions extends TransportOptions {
  /**
   * CURVE encryption and authentication (ZMQ_CURVE_SERVERKEY,
   * ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY). Default: none (plain TCP).
   */
  readonly curve?: ClientCurveOptions;
}

const SENT = 'sent';
const CLOSED = 'closed';

/** DEALER-based {@link ClientTransport} on zeromq.js. */
class ZmqClientTransport extends ClientCore {
  private readonly socket: Dealer;
  protected readonly socketState: Dealer;

  constructor(endpoint: string, options: ClientTransportOptions) {
    const o = resolveOptions(options);
    super(endpoint, o);
    const curve = options.curve;
    this.socket = new Dealer({
      ...commonSocketOptions(o),
      sendHighWaterMark: o.sendHighWaterMark,
      receiveHighWaterMark: o.receiveHighWaterMark,
      sendTimeout: o.sendTimeoutMs,
      ...(curve === undefined
        ? {}
        : {
            curveServerKey: checkCurveKey('curve.serverPublicKey', curve.serverPublicKey),
            curvePublicKey: checkCurveKey('curve.publicKey', curve.publicKey),
            curveSecretKey: checkCurveKey('curve.secretKey', curve.secretKey),
          }),
    });
    this.socketState = this.socket;
    observe(this.socket, {
      handshake: (address) => this.setConnected(address),
      disconnect: (address) => this.setDisconnected(address, 'disconnected'),
      handshakeFailed: (address, reason, code, permanent) => {
        this.emitter.emit('handshakeFailed', handshakeFailedEvent(address, reason, code));
        // The server refused our key: libzmq does not retry, so waiting for
        // readiness would only end in a timeout.
        if (permanent) this.failReady(new TransportError('HANDSHAKE', reason));
      },
    });
    try {
      this.socket.connect(connectEndpoint(endpoint));
    } catch (cause) {
      this.socket.close();
      throw endpointError(endpoint, cause);
    }
    this.checkHost();
    // inproc has no ZMTP handshake, so the Observer never reports one: the
    // pipe is usable as soon as connect() returns.
    if (endpoint.startsWith('inproc://')) this.setConnected(endpoint);
  }

  /** The writer loop: the only caller of `socket.send` (zeromq.js allows one at a time). */
  protected override async writeLoop(): Promise<void> {
    const out = this.out;
    const writer = this.writer;
    const socket = this.socket;
    let first = true;
    try {
      while (out.size > 0 && !socket.closed) {
        const n = writer.plan(out.items, out.head, out.items.length);
        if (!first && writer.partial(out.size)) {
          // Everything queued fits in one burst that is not full. Sends that
          // complete at once would otherwise alternate with a producer that
          // adds one message per microtask, degrading to bursts of one or two:
          // give this turn's producers the rest of it, send on the next.
          this.deferWrite();
          break;
        }
        first = false;
        const frames = writer.frames(out.items, out.head);
        const epoch = out.epoch;
        const status = await this.sendGuarded(frames);
        if (status === CLOSED || epoch !== out.epoch) break;
        if (status === SENT) {
          this.sent(out, n);
        } else {
          out.shift(n);
          this.drop(status, n);
          this.admitWaiting(out);
        }
      }
    } finally {
      this.writing = false;
    }
    this.notifyDrained();
  }

  /**
   * Sends one ZeroMQ message, retrying on EAGAIN (ZMQ_SNDTIMEO fired: a DEALER
   * only fails after waiting). A retry that then goes through at once means
   * the socket had become writable while the previous attempt waited and
   * nobody told it: the lost wake-up, counted in `wakeupRescues`. (Asking
   * `socket.writable` instead would read ZMQ_EVENTS, which can swallow the
   * signal a pending receive waits for.) Returns SENT, CLOSED, or the reason
   * the message cannot be sent at all.
   */
  private async sendGuarded(frames: Uint8Array[]): Promise<string> {
    const socket = this.socket;
    let timedOut = false;
    for (;;) {
      // Timing only after a timeout: the hot path stays free of it.
      const started = timedOut ? performance.now() : 0;
      try {
        await socket.send(frames);
        if (timedOut && performance.now() - started < this.opts.sendTimeoutMs / 2) {
          this.counters.wakeupRescues++;
        }
        return SENT;
      } catch (error) {
        if (socket.closed) return CLOSED;
        const code = errnoCode(error);
        if (code === 'EAGAIN') {
          timedOut = true;
          continue;
        }
        // Nothing else is expected from a DEALER; give up on this message
        // rather than spin on an error that will not go away.
        return `send failed: ${code ?? String(error)}`;
      }
    }
  }

  protected closeSocket(): Promise<void> {
    closeLibzmq(this.socket, this.opts.lingerMs);
    return Promise.resolve();
  }

  protected readonly receive = async (): Promise<IteratorResult<Uint8Array>> => {
    const decoder = this.decoder;
    for (;;) {
      const frames = await receiveOrClosed(this.socket);
      if (frames === null) return DONE;
      const head = decoder.accept(frames, 0);
      if (head !== null) return { done: false, value: decoder.first(head, frames[1]) };
    }
  };
}

/**
 * Creates a client transport: a DEALER connected to `endpoint` (tcp, ipc or
 * inproc). The connection is made in the background and re-made after it
 * drops; messages sent meanwhile wait in the queues. Use `ready()` to wait for
 * the first handshake.
 */
export function createClientTransport(
  endpoint: string,
  options: ClientTransportOptions = {},
): ClientTransport {
  const transport =
    chooseEngine(options.engine, endpoint) === 'zmtp'
      ? createZmtpClientTransport(endpoint, options)
      : new ZmqClientTransport(endpoint, options);
  logTransportEvents(transport, {
    logger: options.logger,
    role: 'client',
    mechanism: options.curve === undefined ? 'NULL' : 'CURVE',
  });
  return transport;
}
