/**
 * The client side of request/response: one DEALER connected to one endpoint.
 */

import { Dealer } from 'zeromq';
import { type ClientCurveOptions, checkCurveKey } from './curve.js';
import { TransportError } from './errors.js';
import {
  BurstCursor,
  checkFrames,
  LARGE_TAG_FRAME,
  planBurst,
  TAG_LARGE,
  writeBurst,
} from './framing.js';
import { checkHostResolves } from './host-check.js';
import { type ResolvedOptions, resolveOptions, type TransportOptions } from './options.js';
import { Outbox } from './outbox.js';
import { ReadyGate } from './ready-gate.js';
import {
  closedError,
  commonSocketOptions,
  connectEndpoint,
  endpointError,
  errnoCode,
  queueFullError,
  tooLargeError,
  waitAtMost,
} from './socket-options.js';
import { DONE, observe, RESOLVED, TransportCore } from './transport-core.js';
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

/** DEALER-based {@link ClientTransport}. */
class ZmqClientTransport extends TransportCore implements ClientTransport {
  readonly endpoint: string;
  private readonly gate: ReadyGate;
  private readonly socket: Dealer;
  private readonly opts: ResolvedOptions;
  private readonly out = new Outbox();
  private readonly plan = { count: 0, bytes: 0 };
  private writing = false;
  private scheduled = false;
  private connectedFlag = false;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  // Receive state: the burst being handed out entry by entry.
  private readonly burst = new BurstCursor();
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    void this.write();
  };
  /** A burst left early (flushAt) in this turn: the rest waits for its end, in full bursts. */
  private flushedEarly = false;

  constructor(endpoint: string, options: ClientTransportOptions) {
    super();
    this.opts = resolveOptions(options);
    const o = this.opts;
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
    observe(this.socket, {
      handshake: (address) => this.setConnected(address),
      disconnect: (address) => {
        if (!this.connectedFlag) return;
        this.connectedFlag = false;
        this.emitter.emit('disconnected', {
          endpoint: this.endpoint,
          peer: address,
          reason: 'disconnected',
        });
      },
      handshakeFailed: (address, reason, code, permanent) => {
        this.emitter.emit(
          'handshakeFailed',
          code === undefined ? { endpoint: address, reason } : { endpoint: address, reason, code },
        );
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
    this.endpoint = endpoint;
    this.gate = new ReadyGate(endpoint);
    this.checkHost(endpoint);
    // inproc has no ZMTP handshake, so the Observer never reports one: the
    // pipe is usable as soon as connect() returns.
    if (endpoint.startsWith('inproc://')) this.setConnected(endpoint);
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  protected queueDepth(): number {
    return this.out.size;
  }

  private setConnected(address: string): void {
    if (this.closedFlag) return;
    const was = this.connectedFlag;
    this.connectedFlag = true;
    this.gate.open();
    if (!was) this.emitter.emit('connected', { endpoint: this.endpoint, peer: address });
  }

  /**
   * libzmq retries a host name that does not resolve forever and says
   * nothing: look it up once, and on failure tell `ready()` waiters and
   * listeners (`disconnected`, reason `unresolved`) with the host named.
   */
  private checkHost(endpoint: string): void {
    checkHostResolves(endpoint, (error) => {
      if (this.closedFlag || this.connectedFlag) return;
      this.failReady(error);
      this.emitter.emit('disconnected', { endpoint, reason: 'unresolved' });
    });
  }

  private failReady(error: TransportError): void {
    this.gate.fail(error);
  }

  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    if (this.connectedFlag) return RESOLVED;
    return this.gate.wait(options.timeoutMs);
  }

  isFull(): boolean {
    return this.out.isFull(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
  }

  send(message: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    const o = this.opts;
    if (message.length > o.maxMessageBytes) {
      return Promise.reject(tooLargeError(message.length, o.maxMessageBytes));
    }
    const out = this.out;
    if (out.size < o.sendQueueDepth && out.bytes < o.sendQueueBytes && !out.hasWaiters) {
      out.push(message);
      this.counters.messagesOut++;
      if (out.size >= o.burst.flushAt && !this.writing && !this.flushedEarly) {
        // Enough for a worthwhile burst: send now, so the server starts on
        // it while this turn goes on producing (see BurstOptions.flushAt).
        // Once per turn: a producer that keeps going fills full bursts.
        this.flushedEarly = true;
        void this.write();
      } else if (!this.writing && !this.scheduled) {
        this.flushedEarly = false;
        // setImmediate, not a microtask: everything queued in this turn of the
        // event loop (including by consumers of a burst just received) goes out
        // in one burst, and a lone message still leaves without a timer delay.
        this.scheduled = true;
        setImmediate(this.runWriter);
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message);
  }

  /** The writer loop: the only caller of `socket.send` (zeromq.js allows one at a time). */
  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    const out = this.out;
    const plan = this.plan;
    const burst = this.opts.burst;
    const socket = this.socket;
    let first = true;
    try {
      while (out.size > 0 && !socket.closed) {
        planBurst(out.items, out.head, out.items.length, burst, plan);
        if (!first && plan.count === out.size) {
          // Everything queued fits in one burst that is not full. Sends that
          // complete at once would otherwise alternate with a producer that
          // adds one message per microtask, degrading to bursts of one or two:
          // give this turn's producers the rest of it, send on the next.
          if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(this.runWriter);
          }
          break;
        }
        first = false;
        let frames: Buffer | Uint8Array[];
        let n: number;
        if (plan.count === 0) {
          frames = [LARGE_TAG_FRAME, out.items[out.head]!];
          n = 1;
        } else {
          n = plan.count;
          frames = writeBurst(out.items, out.head, n, plan.bytes);
        }
        const epoch = out.epoch;
        const status = await this.sendGuarded(frames);
        if (status === CLOSED || epoch !== out.epoch) break;
        out.shift(n);
        if (status === SENT) {
          this.counters.zmqOut++;
          if (n > 1) this.counters.bursts++;
        } else {
          this.drop(status, n);
        }
        if (out.hasWaiters)
          this.counters.messagesOut += out.admit(
            this.opts.sendQueueDepth,
            this.opts.sendQueueBytes,
          );
      }
    } finally {
      this.writing = false;
    }
    if (out.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
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
  private async sendGuarded(frames: Buffer | Uint8Array[]): Promise<string> {
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

  private drained(): Promise<void> {
    if (this.out.size === 0 && !this.out.hasWaiters) return RESOLVED;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closedFlag = true;
      this.closePromise = this.shutdown();
    }
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.failReady(closedError());
    if (this.out.size > 0 || this.out.hasWaiters) {
      if (!this.writing && !this.scheduled) void this.write();
      await waitAtMost(this.drained(), this.opts.closeTimeoutMs);
    }
    const rejected = this.out.rejectWaiters(closedError());
    const left = this.out.clear();
    this.drop('transport closed before the message was sent', left);
    void rejected;
    this.socket.linger = this.opts.lingerMs;
    // Not events.close(): closing an Observer in event-emitter mode makes
    // zeromq.js's internal receive loop reject (ENOTSOCK) with nobody to catch
    // it. Closing the socket stops the monitor, which ends the Observer cleanly.
    this.socket.close();
    if (this.connectedFlag) {
      this.connectedFlag = false;
      this.emitter.emit('disconnected', { endpoint: this.endpoint, reason: 'closed' });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.iterate(this.burst, this.socket, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (message: Uint8Array) => void): void {
    let frame = this.burst.frame;
    while (frame !== null && !this.closedFlag) {
      sink(this.takeEntry());
      frame = this.burst.frame;
    }
  }

  private readonly takeEntry = (): Uint8Array => {
    this.counters.messagesIn++;
    return this.burst.take();
  };

  private readonly receive = async (): Promise<IteratorResult<Uint8Array>> => {
    const max = this.opts.maxMessageBytes;
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        // Closed (EAGAIN for the pending receive, EBADF afterwards): end the iteration.
        return DONE;
      }
      this.counters.zmqIn++;
      const reason = checkFrames(frames, 0, max);
      if (reason !== undefined) {
        this.drop(reason, 1);
        continue;
      }
      const head = frames[0]!;
      if (head[0] === TAG_LARGE) {
        this.counters.messagesIn++;
        return { done: false, value: frames[1]! };
      }
      this.burst.load(head);
      return { done: false, value: this.takeEntry() };
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
  if (chooseEngine(options.engine, endpoint) === 'zmtp') {
    return createZmtpClientTransport(endpoint, options);
  }
  return new ZmqClientTransport(endpoint, options);
}
