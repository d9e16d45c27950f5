/**
 * The client side of request/response on the zmtp engine: one `@xsmb/zmtp`
 * DEALER connected to one endpoint. Same contract, framing and bursting as
 * the libzmq client transport; what differs is that sending is synchronous
 * (a full peer answers `false` and `drain` follows) and receiving is pushed
 * by the engine into a bounded queue, with no native thread in between.
 */

import { createDealer, type DealerSocket, type ZmtpError } from '@xsmb/zmtp';
import type { ClientTransportOptions } from './client-transport.js';
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
import { type ResolvedOptions, resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import { ReadyGate } from './ready-gate.js';
import { ReceiveQueue } from './receive-queue.js';
import { closedError, queueFullError, tooLargeError, waitAtMost } from './socket-options.js';
import { DONE, RESOLVED, TransportCore } from './transport-core.js';
import type { ClientTransport } from './types.js';
import {
  describeZmtpFailure,
  isPermanentRefusal,
  zmtpEndpointError,
  zmtpSocketOptions,
} from './zmtp-options.js';
import { zmtpCurveClient } from './zmtp-security.js';

/** A received ZeroMQ message: a checked burst frame, or a large message's body. */
type Received = { readonly burst: Buffer } | { readonly large: Uint8Array };

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** DEALER-based {@link ClientTransport} on `@xsmb/zmtp`. */
class ZmtpClientTransport extends TransportCore implements ClientTransport {
  readonly endpoint: string;
  private readonly gate: ReadyGate;
  private readonly socket: DealerSocket;
  private readonly opts: ResolvedOptions;
  private readonly out = new Outbox();
  private readonly plan = { count: 0, bytes: 0 };
  private readonly inbox: ReceiveQueue<Received>;
  private readonly burst = new BurstCursor();
  private scheduled = false;
  private flushedEarly = false;
  /** The engine refused a send (peer full): wait for its `drain`. */
  private blocked = false;
  private connectedFlag = false;
  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | undefined;
  private readonly ended = { closed: false };
  private readonly runWriter = (): void => {
    this.scheduled = false;
    this.flushedEarly = false;
    this.write();
  };

  constructor(endpoint: string, options: ClientTransportOptions) {
    super();
    const mechanism = zmtpCurveClient('curve', options.curve);
    this.opts = resolveOptions(options);
    const o = this.opts;
    this.endpoint = endpoint;
    this.gate = new ReadyGate(endpoint);
    this.socket = createDealer({
      ...zmtpSocketOptions(o),
      ...(mechanism === undefined ? {} : { mechanism }),
      onMessage: (frames) => this.onMessage(frames),
    });
    this.inbox = new ReceiveQueue<Received>(
      o.receiveHighWaterMark,
      () => this.socket.pause(),
      () => this.socket.resume(),
    );
    const socket = this.socket;
    socket.on('connect', (peer) => this.setConnected(peer.remoteAddress));
    socket.on('disconnect', (peer, reason) => {
      if (!this.connectedFlag) return;
      this.connectedFlag = false;
      this.emitter.emit('disconnected', {
        endpoint: this.endpoint,
        peer: peer.remoteAddress,
        reason: reason === 'closed' ? 'disconnected' : reason,
      });
    });
    socket.on('handshakeFailed', (address: string, error: ZmtpError) => {
      const failure = describeZmtpFailure(error);
      this.emitter.emit('handshakeFailed', { endpoint: address, ...failure });
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
    checkHostResolves(endpoint, (error) => {
      if (this.closedFlag || this.connectedFlag) return;
      this.failReady(error);
      this.emitter.emit('disconnected', { endpoint, reason: 'unresolved' });
    });
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
      if (out.size >= o.burst.flushAt && !this.flushedEarly && !this.blocked) {
        // Pipelining (BurstOptions.flushAt), once per turn.
        this.flushedEarly = true;
        this.write();
      } else if (!this.scheduled) {
        // setImmediate: everything queued in this turn leaves as one burst,
        // and a lone message still leaves without a timer delay.
        this.scheduled = true;
        setImmediate(this.runWriter);
      }
      return RESOLVED;
    }
    if (o.whenFull === 'error') return Promise.reject(queueFullError(o.sendQueueDepth));
    return out.wait(message);
  }

  /** Hands queued messages to the engine as bursts until it is full or the queue is empty. */
  private write(): void {
    const out = this.out;
    const plan = this.plan;
    const burst = this.opts.burst;
    const socket = this.socket;
    while (out.size > 0 && !this.blocked && !this.ended.closed) {
      planBurst(out.items, out.head, out.items.length, burst, plan);
      let frames: Uint8Array[];
      let n: number;
      if (plan.count === 0) {
        frames = [LARGE_TAG_FRAME, out.items[out.head]!];
        n = 1;
      } else {
        n = plan.count;
        frames = [writeBurst(out.items, out.head, n, plan.bytes)];
      }
      if (!socket.send(frames)) {
        this.blocked = true;
        break;
      }
      out.shift(n);
      this.counters.zmqOut++;
      if (n > 1) this.counters.bursts++;
      if (out.hasWaiters)
        this.counters.messagesOut += out.admit(this.opts.sendQueueDepth, this.opts.sendQueueBytes);
    }
    if (out.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  private onMessage(frames: Uint8Array[]): void {
    this.counters.zmqIn++;
    const reason = checkFrames(frames, 0, this.opts.maxMessageBytes);
    if (reason !== undefined) {
      this.drop(reason, 1);
      return;
    }
    const head = frames[0]!;
    this.inbox.push(head[0] === TAG_LARGE ? { large: frames[1]! } : { burst: asBuffer(head) });
  }

  private open(item: Received | undefined): IteratorResult<Uint8Array> {
    if (item === undefined || this.closedFlag) return DONE;
    if ('large' in item) {
      this.counters.messagesIn++;
      return { done: false, value: item.large };
    }
    this.burst.load(item.burst);
    return { done: false, value: this.takeEntry() };
  }

  private readonly receive = (): Promise<IteratorResult<Uint8Array>> =>
    this.inbox.next().then((item) => this.open(item));

  private readonly takeEntry = (): Uint8Array => {
    this.counters.messagesIn++;
    return this.burst.take();
  };

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.iterate(this.burst, this.ended, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (message: Uint8Array) => void): void {
    while (this.burst.frame !== null && !this.closedFlag) sink(this.takeEntry());
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
      this.write();
      await waitAtMost(this.drained(), this.opts.closeTimeoutMs);
    }
    this.out.rejectWaiters(closedError());
    this.drop('transport closed before the message was sent', this.out.clear());
    this.ended.closed = true;
    this.inbox.end();
    await this.socket.close();
    if (this.connectedFlag) {
      this.connectedFlag = false;
      this.emitter.emit('disconnected', { endpoint: this.endpoint, reason: 'closed' });
    }
  }
}

/** Creates a {@link ClientTransport} on the zmtp engine (tcp:// and ipc://). */
export function createZmtpClientTransport(
  endpoint: string,
  options: ClientTransportOptions = {},
): ClientTransport {
  return new ZmtpClientTransport(endpoint, options);
}
