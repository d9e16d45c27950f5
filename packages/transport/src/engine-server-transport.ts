/**
 * A server transport whose engine is chosen by its first `listen()`: the
 * default engine for `tcp://` and `ipc://`, libzmq for `inproc://` (which
 * exists only inside libzmq). Upper layers subscribe to events and start
 * reading before they listen, so both are recorded here and handed to the
 * real transport once it exists.
 */

import { TransportError } from './errors.js';
import type { ServerTransportStats, ZmqServerTransport } from './server-transport.js';
import { closedError } from './socket-options.js';
import { DONE } from './transport-core.js';
import type { Inbound, PeerId, TransportEvents, TransportListener } from './types.js';
import type { TransportEngine } from './zmtp-options.js';

/** Creates the real server transport for an engine. */
export type ServerFactory = (engine: TransportEngine) => ZmqServerTransport;

type Registration = {
  readonly event: keyof TransportEvents;
  readonly listener: (event: never) => void;
  off: (() => void) | undefined;
};

const NO_STATS: ServerTransportStats = Object.freeze({
  messagesOut: 0,
  messagesIn: 0,
  zmqOut: 0,
  zmqIn: 0,
  bursts: 0,
  queueDepth: 0,
  drops: 0,
  wakeupRescues: 0,
  peers: 0,
  handshakeFailures: 0,
  authDenied: 0,
});

/** {@link ZmqServerTransport} that creates its engine's transport on the first `listen()`. */
export class EngineChoosingServer implements ZmqServerTransport {
  private inner: ZmqServerTransport | undefined;
  private readonly registrations: Registration[] = [];
  private closedFlag = false;
  private resolveInner!: (inner: ZmqServerTransport | undefined) => void;
  private readonly innerReady = new Promise<ZmqServerTransport | undefined>((resolve) => {
    this.resolveInner = resolve;
  });

  /**
   * @param choose picks the engine for the first endpoint listened on.
   * @param create builds the real transport.
   */
  constructor(
    private readonly choose: (endpoint: string) => TransportEngine,
    private create: ServerFactory,
  ) {}

  private realize(endpoint: string): ZmqServerTransport {
    if (this.inner !== undefined) return this.inner;
    const inner = this.create(this.choose(endpoint));
    this.inner = inner;
    for (const r of this.registrations) {
      r.off = inner.on(r.event, r.listener as TransportListener<typeof r.event>);
    }
    this.resolveInner(inner);
    return inner;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get endpoints(): readonly string[] {
    return this.inner?.endpoints ?? [];
  }

  listen(endpoint: string): Promise<string> {
    if (this.closedFlag) return Promise.reject(closedError());
    let inner: ZmqServerTransport;
    try {
      inner = this.realize(endpoint);
    } catch (error) {
      return Promise.reject(error);
    }
    return inner.listen(endpoint);
  }

  send(peer: PeerId, message: Uint8Array): Promise<void> {
    if (this.inner !== undefined) return this.inner.send(peer, message);
    if (this.closedFlag) return Promise.reject(closedError());
    return Promise.reject(
      new TransportError('UNREACHABLE', `peer ${JSON.stringify(peer)} is not connected`),
    );
  }

  isFull(peer: PeerId): boolean {
    return this.inner?.isFull(peer) ?? false;
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportListener<K>): () => void {
    if (this.inner !== undefined) return this.inner.on(event, listener);
    const r: Registration = { event, listener: listener as (event: never) => void, off: undefined };
    this.registrations.push(r);
    return () => {
      const i = this.registrations.indexOf(r);
      if (i >= 0) this.registrations.splice(i, 1);
      r.off?.();
    };
  }

  stats(): ServerTransportStats {
    return this.inner?.stats() ?? { ...NO_STATS };
  }

  setAllowedClientKeys(keys: Iterable<string>): void {
    if (this.inner !== undefined) {
      this.inner.setAllowedClientKeys(keys);
      return;
    }
    // Not created yet: create it with the new list (the factory validates it).
    const list = [...keys];
    const create = this.create;
    this.create = (engine) => {
      const inner = create(engine);
      inner.setAllowedClientKeys(list);
      return inner;
    };
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      if (this.inner === undefined) this.resolveInner(undefined);
    }
    return this.inner?.close() ?? Promise.resolve();
  }

  drainBuffered(sink: (peer: PeerId, message: Uint8Array) => void): void {
    this.inner?.drainBuffered?.(sink);
  }

  [Symbol.asyncIterator](): AsyncIterator<Inbound> {
    let it: AsyncIterator<Inbound> | undefined;
    return {
      next: () => {
        if (it !== undefined) return it.next();
        return this.innerReady.then((inner) => {
          if (inner === undefined) return DONE;
          it ??= inner[Symbol.asyncIterator]();
          return it.next();
        });
      },
      return: () => Promise.resolve(DONE),
    };
  }
}
