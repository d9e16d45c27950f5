/**
 * What the server transports of both engines share: the peer table with a
 * bounded send queue per peer, send admission (`UNREACHABLE` for a peer
 * that is gone), endpoints, events, stats, the allow-list, receive decoding
 * and the close sequence. An engine supplies the socket calls: how a peer
 * with queued messages gets served (`queued`), `receive` and `closeSocket`.
 */

import { BurstWriter } from './burst-writer.js';
import { type AllowList, replaceAllowedKeys } from './curve-socket.js';
import { TransportError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { ReceiveDecoder } from './receive-decoder.js';
import { SenderCore } from './sender-core.js';
import type { ServerTransportStats, ZmqServerTransport } from './server-transport.js';
import { closedError } from './socket-options.js';
import { RESOLVED } from './transport-core.js';
import type { Inbound, PeerId } from './types.js';

/** One connected peer as both engines keep it. */
export interface ServerPeer {
  readonly id: PeerId;
  /** The routing id as the socket gives it; cached so sends do not re-encode the string. */
  readonly rid: Buffer;
  readonly out: Outbox;
  /** The peer's address (`host:port` for tcp), when the engine knows it. */
  readonly address?: string;
}

/** The `UNREACHABLE` error of a send to a peer that is not connected. */
export function unreachable(peer: PeerId): TransportError {
  return new TransportError('UNREACHABLE', `peer ${JSON.stringify(peer)} is not connected`);
}

/** Base class of the server transports (ROUTER). */
export abstract class ServerCore<P extends ServerPeer>
  extends SenderCore
  implements ZmqServerTransport
{
  protected readonly peers = new Map<PeerId, P>();
  protected readonly writer: BurstWriter;
  protected readonly decoder: ReceiveDecoder;
  /** Messages queued for all peers. */
  protected totalQueued = 0;
  protected handshakeFailures = 0;
  /** The sender of the burst being read. */
  protected framePeer: PeerId = '';
  private readonly bound: string[] = [];

  /**
   * @param opts the resolved options.
   * @param allowList the CURVE allow-list (or its absence).
   */
  constructor(
    opts: ResolvedOptions,
    private readonly allowList: AllowList,
  ) {
    super(opts);
    this.writer = new BurstWriter(opts.burst);
    this.decoder = new ReceiveDecoder(
      this.counters,
      (reason, count, peer) => this.drop(reason, count, peer),
      opts.maxMessageBytes,
    );
  }

  /** `p` got a message while it had none queued, or more: the engine serves it. */
  protected abstract queued(p: P): void;

  /** Binds the engine's socket; returns the real endpoint. */
  protected abstract bind(endpoint: string): Promise<string>;

  /** Receives the next logical message from the socket, or the end. */
  protected abstract readonly receive: () => Promise<IteratorResult<Inbound>>;

  /** Whether the socket is closed, for the iterator. */
  protected abstract readonly socketState: { readonly closed: boolean };

  /** Closes the engine's socket (after the flush). */
  protected abstract closeSocket(): Promise<void>;

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
  }

  get endpoints(): readonly string[] {
    return this.bound;
  }

  protected queueDepth(): number {
    return this.totalQueued;
  }

  protected pending(): boolean {
    if (this.totalQueued > 0) return true;
    for (const p of this.peers.values()) if (p.out.hasWaiters) return true;
    return false;
  }

  override stats(): ServerTransportStats {
    return {
      ...this.counters,
      queueDepth: this.totalQueued,
      peers: this.peers.size,
      handshakeFailures: this.handshakeFailures,
      authDenied: this.allowList.denied(),
    };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    replaceAllowedKeys(this.allowList, keys, 'server');
  }

  async listen(endpoint: string): Promise<string> {
    if (this.closedFlag) throw closedError();
    const real = await this.bind(endpoint);
    this.bound.push(real);
    return real;
  }

  /** The endpoint named in peer events: the one bound, or all of them. */
  protected endpointLabel(): string {
    return this.bound.length === 1 ? this.bound[0]! : this.bound.join(',');
  }

  send(peer: PeerId, message: Uint8Array): Promise<void> {
    const refused = this.refuse(message);
    if (refused !== null) return refused;
    const p = this.peers.get(peer);
    if (p === undefined) return Promise.reject(unreachable(peer));
    const out = p.out;
    if (!this.hasRoom(out)) return this.overflow(out, message);
    out.push(message);
    this.totalQueued++;
    this.counters.messagesOut++;
    this.queued(p);
    return RESOLVED;
  }

  isFull(peer: PeerId): boolean {
    const p = this.peers.get(peer);
    return p !== undefined && this.full(p.out);
  }

  /** Counts a burst of `n` messages that left for `p` (see {@link SenderCore.sent}). */
  protected sentTo(p: P, n: number): void {
    this.totalQueued += this.sent(p.out, n) - n;
  }

  /** A new peer: kept and announced (`connected`). */
  protected addPeer(peer: P): void {
    this.peers.set(peer.id, peer);
    const endpoint = this.endpointLabel();
    this.emitter.emit(
      'connected',
      peer.address === undefined
        ? { endpoint, peer: peer.id }
        : { endpoint, peer: peer.id, address: peer.address },
    );
  }

  /** Announces that `id` went away (`disconnected`). */
  protected peerGone(id: PeerId, address?: string): void {
    const endpoint = this.endpointLabel();
    this.emitter.emit(
      'disconnected',
      address === undefined
        ? { endpoint, peer: id, reason: 'disconnected' }
        : { endpoint, peer: id, address, reason: 'disconnected' },
    );
  }

  /**
   * Forgets a peer: its queued messages are counted as drops, its waiting
   * senders fail with `UNREACHABLE`. False when it was already forgotten.
   */
  protected removePeer(peer: P, reason: string): boolean {
    if (this.peers.get(peer.id) !== peer) return false;
    this.peers.delete(peer.id);
    peer.out.rejectWaiters(unreachable(peer.id));
    const left = peer.out.clear();
    this.totalQueued -= left;
    this.drop(reason, left, peer.id);
    this.notifyDrained();
    return true;
  }

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    return this.iterate(this.decoder.cursor, this.socketState, this.takeEntry, this.receive);
  }

  drainBuffered(sink: (peer: PeerId, message: Uint8Array) => void): void {
    const decoder = this.decoder;
    while (decoder.buffered && !this.closedFlag) sink(this.framePeer, decoder.take());
  }

  /** The first logical message of an accepted ZeroMQ message from `peer`. */
  protected firstFrom(peer: PeerId, head: Buffer, large: Uint8Array | undefined): Inbound {
    this.framePeer = peer;
    return { peer, message: this.decoder.first(head, large) };
  }

  private readonly takeEntry = (): Inbound => ({
    peer: this.framePeer,
    message: this.decoder.take(),
  });

  protected async shutdown(): Promise<void> {
    await this.flushBeforeClose();
    for (const peer of this.peers.values()) this.totalQueued -= this.discard(peer.out, peer.id);
    await this.closeSocket();
  }
}
