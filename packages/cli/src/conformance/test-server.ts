/**
 * The TypeScript implementation of the conformance test service, served by
 * `xsmb conformance serve`.
 */

import { Code, createServer, RpcError, type Server, type ServiceImplementation } from '@xsmb/rpc';
import type { ServerCurveOptions } from '@xsmb/transport';
import { type SleepStatus, TestService } from './test-service.js';

/** How many `sleep` outcomes are remembered (oldest forgotten first). */
const MAX_REMEMBERED = 1024;

/**
 * An implementation of {@link TestService}. `onDrain` is called by the
 * `drain` method after it answered (the serving process starts its graceful
 * shutdown there).
 */
export function testServiceImplementation(
  onDrain: (graceMs: number) => void,
): ServiceImplementation<typeof TestService> {
  const sleeps = new Map<string, SleepStatus>();
  const changed = new Set<() => void>();
  const setStatus = (id: string, status: SleepStatus) => {
    sleeps.delete(id); // re-insert: the map's order is the age order
    sleeps.set(id, status);
    if (sleeps.size > MAX_REMEMBERED) sleeps.delete(sleeps.keys().next().value as string);
    for (const f of changed) f();
  };
  return {
    echo: async (req) => req,
    async fail(req) {
      throw new RpcError(req.code as Code, req.message, {
        details: req.details,
        ...(req.trailers === undefined ? {} : { metadata: req.trailers }),
      });
    },
    async sleep(req, ctx) {
      setStatus(req.id, 'running');
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, req.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (ctx.signal.aborted) {
        const reason = ctx.signal.reason as RpcError | undefined;
        setStatus(req.id, reason?.code === Code.DEADLINE_EXCEEDED ? 'deadline' : 'cancelled');
        throw reason;
      }
      setStatus(req.id, 'completed');
      return { slept: Date.now() - started };
    },
    async status(req) {
      const waitWhile = new Set(req.waitWhile ?? []);
      const current = () => sleeps.get(req.id) ?? 'unknown';
      if (!waitWhile.has(current())) return { status: current() };
      // Wakes on every status change, or when waitMs runs out.
      await new Promise<void>((resolve) => {
        const check = () => {
          if (waitWhile.has(current())) return;
          done();
        };
        const timer = setTimeout(() => done(), req.waitMs ?? 0);
        const done = () => {
          clearTimeout(timer);
          changed.delete(check);
          resolve();
        };
        changed.add(check);
      });
      return { status: current() };
    },
    deadline: async (_req, ctx) => ({
      remainingMs: Number.isFinite(ctx.deadline) ? ctx.timeRemainingMs() : null,
    }),
    async metadata(_req, ctx) {
      for (const [k, v] of Object.entries(ctx.metadata)) ctx.trailers[k] = v;
      return { metadata: { ...ctx.metadata } };
    },
    async *count(req) {
      for (let i = 0; i < req.n; i++) yield { i, data: new Uint8Array(req.size).fill(i & 0xff) };
    },
    async total(_open, chunks) {
      let count = 0;
      for await (const _ of chunks) count++;
      return { count };
    },
    async hold(_open, _chunks, ctx) {
      // Reads nothing: the client must stay within the first grant, and the
      // call ends when it overruns it (RESOURCE_EXHAUSTED), is cancelled or expires.
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      throw ctx.signal.reason;
    },
    async *chat(_open, incoming) {
      for await (const m of incoming) yield m;
    },
    async drain(req) {
      // After this answer is on its way: the drain sends GOAWAY to every client.
      setImmediate(() => onDrain(req.graceMs));
      return {};
    },
  };
}

/** Options of {@link serveConformance}. */
export interface ServeConformanceOptions {
  /** Where to listen. Default `tcp://127.0.0.1:0`. */
  endpoint?: string;
  /** CURVE server keys and allow-list. Default: none. */
  curve?: { curve: ServerCurveOptions; allowedClientKeys?: string[] };
}

/** A running conformance server; `drained` resolves once a `drain` call has closed it. */
export interface ConformanceServer {
  /** The bound endpoint. */
  readonly endpoint: string;
  /** The server. */
  readonly server: Server;
  /** Resolves when the server closed after a `drain` call. */
  readonly drained: Promise<void>;
}

/** Serves {@link TestService} (plus health and reflection). */
export async function serveConformance(
  options: ServeConformanceOptions = {},
): Promise<ConformanceServer> {
  const server = createServer(
    options.curve === undefined ? {} : { transportOptions: options.curve },
  );
  let drainedResolve!: () => void;
  const drained = new Promise<void>((resolve) => {
    drainedResolve = resolve;
  });
  server.add(
    TestService,
    testServiceImplementation((graceMs) => {
      void server.close({ graceMs }).then(drainedResolve);
    }),
  );
  const [endpoint] = await server.listen(options.endpoint ?? 'tcp://127.0.0.1:0');
  return { endpoint, server, drained };
}
