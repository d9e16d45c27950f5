/**
 * The in-memory {@link ServerTransport} (see memory.ts): clients of the same
 * {@link MemoryNetwork} link to it by endpoint name.
 */

import { TransportError } from './errors.js';
import type { MemoryTransportOptions } from './memory.js';
import { Channel } from './memory-channel.js';
import type { MemoryClient } from './memory-client.js';
import type { MemoryNetworkCore } from './memory-network.js';
import { closedError, tooLargeError } from './socket-options.js';
import { TransportCore } from './transport-core.js';
import type { DisconnectReason, Inbound, PeerId, ServerTransport } from './types.js';

/** Default of `MemoryTransportOptions.queueDepth`. */
export const DEFAULT_DEPTH = 1024;
/** Default of `MemoryTransportOptions.maxMessageBytes`. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** One client linked to a server. */
interface Link {
  readonly peer: PeerId;
  readonly client: MemoryClient;
}

/** A server on a {@link MemoryNetworkCore}. */
export class MemoryServer extends TransportCore implements ServerTransport {
  /** Messages received and not yet read. */
  readonly inbox: Channel<Inbound>;
  private readonly links = new Map<PeerId, Link>();
  /** The endpoints listened on. */
  readonly endpoints: string[] = [];
  /** The largest message `send` accepts. */
  readonly maxMessageBytes: number;

  /**
   * @param net the network it listens on.
   * @param options its bounds.
   */
  constructor(
    private readonly net: MemoryNetworkCore,
    options: MemoryTransportOptions,
  ) {
    super();
    this.inbox = new Channel(options.queueDepth ?? DEFAULT_DEPTH);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
  }

  protected queueDepth(): number {
    return this.inbox.size;
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    const real = this.net.bind(endpoint, this);
    this.endpoints.push(real);
    return real;
  }

  send(peer: PeerId, message: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(closedError());
    if (message.byteLength > this.maxMessageBytes) {
      return Promise.reject(tooLargeError(message.byteLength, this.maxMessageBytes));
    }
    const link = this.links.get(peer);
    if (!link)
      return Promise.reject(new TransportError('UNREACHABLE', `no connected peer ${peer}`));
    this.counters.messagesOut++;
    this.counters.zmqOut++;
    return this.net.deliver(message, 'toClient', this, (copy) => link.client.receive(copy));
  }

  /** A message from `peer` arrived. */
  receive(peer: PeerId, message: Uint8Array): Promise<void> {
    this.counters.messagesIn++;
    this.counters.zmqIn++;
    return this.inbox.push({ peer, message });
  }

  /** Fault injection dropped a message this server sent. */
  countDrop(): void {
    this.drop('dropped by fault injection');
  }

  /** A client linked to this server as `peer`. */
  attach(peer: PeerId, client: MemoryClient): void {
    this.links.set(peer, { peer, client });
    this.emitter.emit('connected', { endpoint: client.endpoint, peer });
  }

  /** `peer` went away. */
  detach(peer: PeerId, reason: DisconnectReason): void {
    const link = this.links.get(peer);
    if (!link) return;
    this.links.delete(peer);
    this.emitter.emit('disconnected', { endpoint: link.client.endpoint, peer, reason });
  }

  /** Abrupt stop (SIGKILL): no flush, links cut. */
  kill(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.unlinkAll();
    this.inbox.end(true);
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const endpoint of this.endpoints) this.net.unbind(endpoint, this);
    // Let deliveries already queued on the microtask/timer queue land first.
    await this.net.settle();
    this.unlinkAll();
    this.inbox.end();
  }

  private unlinkAll(): void {
    for (const endpoint of this.endpoints) this.net.unbind(endpoint, this);
    for (const link of [...this.links.values()]) link.client.unlink('disconnected');
    this.links.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    return this.inbox[Symbol.asyncIterator]();
  }
}
