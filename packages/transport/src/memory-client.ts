/**
 * The in-memory {@link ClientTransport} (see memory.ts): links to the server
 * listening on its endpoint in the same {@link MemoryNetwork}, and queues
 * what it sends while no server is there, as ZeroMQ's connect queue does.
 */

import { TransportError } from './errors.js';
import type { MemoryTransportOptions } from './memory.js';
import { Channel } from './memory-channel.js';
import type { MemoryNetworkCore } from './memory-network.js';
import { DEFAULT_DEPTH, DEFAULT_MAX_BYTES, type MemoryServer } from './memory-server.js';
import { ReadyGate } from './ready-gate.js';
import { closedError, tooLargeError } from './socket-options.js';
import { RESOLVED, TransportCore } from './transport-core.js';
import type { ClientTransport, DisconnectReason, PeerId } from './types.js';

/** A client on a {@link MemoryNetworkCore}. */
export class MemoryClient extends TransportCore implements ClientTransport {
  readonly endpoint: string;
  private readonly inbox: Channel<Uint8Array>;
  private readonly pending: Uint8Array[] = [];
  private readonly maxMessageBytes: number;
  private readonly depth: number;
  private readonly gate: ReadyGate;
  private server: MemoryServer | undefined;
  private peer: PeerId | undefined;

  /**
   * @param net the network it connects on.
   * @param endpoint the server's endpoint.
   * @param options its bounds.
   */
  constructor(
    private readonly net: MemoryNetworkCore,
    endpoint: string,
    options: MemoryTransportOptions,
  ) {
    super();
    this.endpoint = endpoint;
    this.depth = options.queueDepth ?? DEFAULT_DEPTH;
    this.inbox = new Channel(this.depth);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
    this.gate = new ReadyGate(endpoint);
  }

  get connected(): boolean {
    return this.server !== undefined;
  }

  protected queueDepth(): number {
    return this.pending.length;
  }

  /** Called by the network when a server listens on our endpoint. */
  link(server: MemoryServer, peer: PeerId): void {
    if (this.closedFlag) return;
    this.server = server;
    this.peer = peer;
    server.attach(peer, this);
    this.emitter.emit('connected', { endpoint: this.endpoint });
    this.gate.open();
    // Messages queued while disconnected go out now, as ZeroMQ's connect queue does.
    for (const message of this.pending.splice(0)) void this.forward(message).catch(() => {});
  }

  /** The connection broke (peer killed, network fault). */
  unlink(reason: DisconnectReason): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const linked = this.peer as PeerId;
    this.peer = undefined;
    server.detach(linked, reason);
    this.emitter.emit('disconnected', { endpoint: this.endpoint, reason });
  }

  /** Fault injection dropped a message this client sent. */
  countDrop(): void {
    this.drop('dropped by fault injection');
  }

  /** A message from the server arrived. */
  receive(message: Uint8Array): Promise<void> {
    if (this.closedFlag) return RESOLVED;
    this.counters.messagesIn++;
    this.counters.zmqIn++;
    return this.inbox.push(message);
  }

  send(message: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    if (message.byteLength > this.maxMessageBytes) {
      return Promise.reject(tooLargeError(message.byteLength, this.maxMessageBytes));
    }
    this.counters.messagesOut++;
    if (!this.server) {
      if (this.pending.length >= this.depth) {
        return Promise.reject(
          new TransportError('QUEUE_FULL', 'send queue is full while disconnected'),
        );
      }
      this.pending.push(message.slice());
      return RESOLVED;
    }
    return this.forward(message);
  }

  private forward(message: Uint8Array): Promise<void> {
    const server = this.server;
    const peer = this.peer;
    if (!server || peer === undefined) {
      this.pending.push(message);
      return RESOLVED;
    }
    this.counters.zmqOut++;
    return this.net.deliver(message, 'toServer', this, (copy) => server.receive(peer, copy));
  }

  /** True when a `send` now would wait (the server's queue is full) or fail (the connect queue is). */
  isFull(): boolean {
    const server = this.server;
    if (server === undefined) return this.pending.length >= this.depth;
    return server.inbox.size >= server.inbox.capacity;
  }

  ready(options?: { timeoutMs?: number }): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    if (this.server) return RESOLVED;
    return this.gate.wait(options?.timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    await this.net.settle();
    this.closedFlag = true;
    this.net.forget(this);
    const server = this.server;
    // The server cannot tell a close from a crash: to it the peer disconnected.
    if (server && this.peer !== undefined) server.detach(this.peer, 'disconnected');
    this.server = undefined;
    this.gate.fail(closedError());
    this.drop('transport closed before the message was sent', this.pending.length);
    this.pending.length = 0;
    this.inbox.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.inbox[Symbol.asyncIterator]();
  }
}
