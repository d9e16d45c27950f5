/**
 * A TCP proxy that delays every chunk, each direction on its own. The
 * kernel here has no netem, so delay comes from user space: a chunk read at
 * time t is written at t + delay ± jitter, but never before the chunk read
 * ahead of it (TCP keeps order, so jitter may stretch gaps, not reorder).
 */

import { connect, createServer, type Server, type Socket } from 'node:net';

/** Options of {@link createDelayProxy}. */
export interface DelayProxyOptions {
  /** Where connections go. */
  readonly targetHost: string;
  /** The target's port. */
  readonly targetPort: number;
  /** One-way delay added in each direction, in ms. @default 50 */
  readonly delayMs?: number;
  /** Each chunk's delay is drawn uniformly from delayMs ± jitterMs. @default 10 */
  readonly jitterMs?: number;
  /**
   * Bytes held per direction before the proxy stops reading that side
   * (backpressure instead of unbounded memory). @default 4194304 (4 MiB)
   */
  readonly maxHeldBytes?: number;
  /** Address to listen on. @default '127.0.0.1' */
  readonly listenHost?: string;
}

/** A running proxy. */
export interface DelayProxy {
  /** `tcp://host:port` of the proxy's listening side. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Delays one direction of one connection. */
function delayLine(
  from: Socket,
  to: Socket,
  delayMs: number,
  jitterMs: number,
  maxHeldBytes: number,
): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let held = 0;
  let lastAt = 0;
  let timer: NodeJS.Timeout | undefined;

  const pump = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      held -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (held < maxHeldBytes / 2 && from.isPaused()) from.resume();
    schedule();
    if (queue.length === 0 && fromEnded && !to.destroyed) to.end();
  };
  const schedule = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(pump, Math.max(0, queue[0]!.at - performance.now()));
  };

  let fromEnded = false;
  from.on('data', (chunk: Buffer) => {
    const jitter = (Math.random() * 2 - 1) * jitterMs;
    lastAt = Math.max(lastAt, performance.now() + delayMs + jitter);
    queue.push({ at: lastAt, chunk });
    held += chunk.length;
    if (held >= maxHeldBytes) from.pause();
    schedule();
  });
  from.on('end', () => {
    fromEnded = true;
    if (queue.length === 0 && !to.destroyed) to.end();
  });
  from.on('close', () => {
    // A reset on one side resets the other once what was read has been delivered.
    setTimeout(() => to.destroy(), Math.max(0, lastAt - performance.now()) + 1);
    if (timer !== undefined && to.destroyed) clearTimeout(timer);
  });
}

/** Starts a delaying proxy to `targetHost:targetPort`. */
export async function createDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const delayMs = options.delayMs ?? 50;
  const jitterMs = options.jitterMs ?? 10;
  const maxHeldBytes = options.maxHeldBytes ?? 4 << 20;
  const sockets = new Set<Socket>();
  let accepted = 0;

  const server: Server = createServer({ noDelay: true }, (client) => {
    accepted++;
    const upstream = connect({
      host: options.targetHost,
      port: options.targetPort,
      noDelay: true,
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    delayLine(client, upstream, delayMs, jitterMs, maxHeldBytes);
    delayLine(upstream, client, delayMs, jitterMs, maxHeldBytes);
  });
  const host = options.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    endpoint: `tcp://${host}:${address.port}`,
    connections: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
