/**
 * What the client transports of both engines share: the connection state
 * and `ready()`, the send queue with its admission and write scheduling
 * (bursts per turn, early flush at `flushAt`), the receive decoding and the
 * close sequence. An engine supplies the socket calls: `write` (hand queued
 * bursts to the socket), `receive` (the next logical message) and
 * `closeSocket`.
 */

import type { TransportError } from './errors.js';
import { checkHostResolves } from './host-check.js';
import type { ResolvedOptions } from './options.js';
import { QueueSender } from './queue-sender.js';
import { ReadyGate } from './ready-gate.js';
import { ReceiveDecoder } from './receive-decoder.js';
import { closedError } from './socket-options.js';
import { RESOLVED } from './transport-core.js';
import type { ClientTransport, DisconnectReason } from './types.js';

/** Base class of the client transports (DEALER). */
export abstract class ClientCore extends QueueSender implements ClientTransport {
  readonly endpoint: string;
  protected readonly decoder: ReceiveDecoder;
  private readonly gate: ReadyGate;
  private connectedFlag = false;
  /** The socket refused a message (zmtp: peer full): its `drain` restarts the writer. */
  protected blocked = false;
  /** A burst left early (flushAt) in this turn: the rest waits for its end, in full bursts. */
  private flushedEarly = false;

  /**
   * @param endpoint the endpoint connected to.
   * @param opts the resolved options.
   */
  constructor(endpoint: string, opts: ResolvedOptions) {
    super(opts);
    this.endpoint = endpoint;
    this.gate = new ReadyGate(endpoint);
    this.decoder = new ReceiveDecoder(
      this.counters,
      (reason, count, peer) => this.drop(reason, count, peer),
      opts.maxMessageBytes,
    );
  }

  /** Receives the next logical message from the socket, or the end. */
  protected abstract readonly receive: () => Promise<IteratorResult<Uint8Array>>;

  /** Whether the socket is closed, for the iterator. */
  protected abstract readonly socketState: { readonly closed: boolean };

  /** Closes the engine's socket. */
  protected abstract closeSocket(): Promise<void>;

  get connected(): boolean {
    return this.connectedFlag;
  }

  protected override newTurn(): void {
    this.flushedEarly = false;
  }

  /**
   * libzmq retries a host name that does not resolve forever and says
   * nothing, and so would the zmtp engine: look it up once, and on failure
   * tell `ready()` waiters and listeners (`disconnected`, reason
   * `unresolved`) with the host named.
   */
  protected checkHost(): void {
    const endpoint = this.endpoint;
    checkHostResolves(endpoint, (error) => {
      if (this.closedFlag || this.connectedFlag) return;
      this.gate.fail(error);
      this.emitter.emit('disconnected', { endpoint, reason: 'unresolved' });
    });
  }

  /** The connection (to `address`) is up. */
  protected setConnected(address: string): void {
    if (this.closedFlag) return;
    const was = this.connectedFlag;
    this.connectedFlag = true;
    this.gate.open();
    if (!was) this.emitter.emit('connected', { endpoint: this.endpoint, peer: address });
  }

  /** The connection (to `address`, when known) went away. */
  protected setDisconnected(address: string | undefined, reason: DisconnectReason): void {
    if (!this.connectedFlag) return;
    this.connectedFlag = false;
    this.emitter.emit(
      'disconnected',
      address === undefined
        ? { endpoint: this.endpoint, reason }
        : { endpoint: this.endpoint, peer: address, reason },
    );
  }

  /** The connection cannot come up (key refused for good): `ready()` rejects with `error`. */
  protected failReady(error: TransportError): void {
    this.gate.fail(error);
  }

  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    if (this.connectedFlag) return RESOLVED;
    return this.gate.wait(options.timeoutMs);
  }

  isFull(): boolean {
    return this.full(this.out);
  }

  send(message: Uint8Array): Promise<void> {
    const refused = this.refuse(message);
    if (refused !== null) return refused;
    const out = this.out;
    if (!this.hasRoom(out)) return this.overflow(out, message);
    out.push(message);
    this.counters.messagesOut++;
    if (
      out.size >= this.opts.burst.flushAt &&
      !this.flushedEarly &&
      !this.writing &&
      !this.blocked
    ) {
      // Enough for a worthwhile burst: send now, so the server starts on it
      // while this turn goes on producing (see BurstOptions.flushAt). Once
      // per turn: a producer that keeps going fills full bursts.
      this.flushedEarly = true;
      this.write();
    } else if (!this.writing) {
      // Including what consumers of a burst just received send in this turn.
      this.deferWrite();
    }
    return RESOLVED;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.iterate(this.decoder.cursor, this.socketState, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (message: Uint8Array) => void): void {
    const decoder = this.decoder;
    while (decoder.buffered && !this.closedFlag) sink(decoder.take());
  }

  private readonly takeEntry = (): Uint8Array => this.decoder.take();

  protected async shutdown(): Promise<void> {
    this.gate.fail(closedError());
    await this.flushBeforeClose();
    this.discard(this.out);
    await this.closeSocket();
    this.setDisconnected(undefined, 'closed');
  }
}
