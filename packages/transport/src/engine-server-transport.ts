/**
 * A server transport whose engine is chosen by its first `listen()` (see
 * engine-choosing.ts): reading may start before it, and waits for the real
 * transport.
 */

import { EngineChoosing } from './engine-choosing.js';
import { unreachable } from './server-core.js';
import type { ServerTransportStats, ZmqServerTransport } from './server-transport.js';
import { closedError } from './socket-options.js';
import { newStats } from './stats.js';
import { DONE } from './transport-core.js';
import type { Inbound, PeerId } from './types.js';

/** {@link ZmqServerTransport} that creates its engine's transport on the first `listen()`. */
export class EngineChoosingServer
  extends EngineChoosing<ZmqServerTransport>
  implements ZmqServerTransport
{
  send(peer: PeerId, message: Uint8Array): Promise<void> {
    if (this.inner !== undefined) return this.inner.send(peer, message);
    if (this.closedFlag) return Promise.reject(closedError());
    return Promise.reject(unreachable(peer));
  }

  isFull(peer: PeerId): boolean {
    return this.inner?.isFull(peer) ?? false;
  }

  stats(): ServerTransportStats {
    return this.inner?.stats() ?? { ...newStats(), peers: 0, handshakeFailures: 0, authDenied: 0 };
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
