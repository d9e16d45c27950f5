/**
 * Contracts and an in-memory network fixture shared by the tracing tests.
 */
import { propagation, trace } from '@opentelemetry/api';
import {
  type CallContext,
  type ClientInterceptor,
  Code,
  createClient,
  createServer,
  defineService,
  RpcError,
  type RpcListener,
  type Server,
  type ServerInterceptor,
  type ServiceClient,
  unary,
} from '@xsmb/rpc';
import { bidiStream, clientStream, serverStream } from '@xsmb/stream';
import { createMemoryNetwork, type MemoryNetwork } from '@xsmb/transport';

export const Greeter = defineService('test.Greeter', {
  hello: unary<{ name: string }, { greeting: string; seen: Record<string, string> }>(),
  fail: unary<{ how: string }, null>(),
  slow: unary<{ ms: number }, null>(),
  count: serverStream<{ n: number; failAt?: number }, { i: number }>({ windowMessages: 8 }),
  forever: serverStream<null, { i: number }>({ windowMessages: 4 }),
  sum: clientStream<null, number, { total: number }>({ windowMessages: 8 }),
  takeTwo: clientStream<null, number, { total: number }>({ windowMessages: 8 }),
  echo: bidiStream<null, string, string>({ windowMessages: 4 }),
});

export const Relay = defineService('test.Relay', {
  relay: unary<{ name: string; explicitParent?: boolean }, { greeting: string }>(),
});

/** What the handlers saw, for assertions. */
export interface Seen {
  /** Active trace ids / span ids captured inside handlers (incl. generator bodies). */
  activeSpans: string[];
  /** Baggage entries seen by `hello`, `key=value`. */
  baggage: string[];
}

function metadataStrings(ctx: CallContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.metadata)) out[k] = typeof v === 'string' ? v : 'bin';
  return out;
}

/** `traceId/spanId` of the active span, or `none`. */
export function activeSpanId(): string {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc ? `${sc.traceId}/${sc.spanId}` : 'none';
}

/** The Greeter implementation. */
export function greeterImpl(seen: Seen) {
  return {
    hello(req: { name: string }, ctx: CallContext) {
      seen.activeSpans.push(activeSpanId());
      const bag = propagation.getActiveBaggage();
      for (const [k, e] of bag?.getAllEntries() ?? []) seen.baggage.push(`${k}=${e.value}`);
      return { greeting: `hi ${req.name}`, seen: metadataStrings(ctx) };
    },
    fail(req: { how: string }): null {
      if (req.how === 'not-found') throw new RpcError(Code.NOT_FOUND, 'no such thing');
      if (req.how === 'plain') throw new TypeError('handler bug');
      throw new RpcError(Code.UNAVAILABLE, 'backend down');
    },
    async slow(req: { ms: number }, ctx: CallContext): Promise<null> {
      seen.activeSpans.push(activeSpanId());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, req.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return null;
    },
    async *count(req: { n: number; failAt?: number }) {
      for (let i = 0; i < req.n; i++) {
        seen.activeSpans.push(activeSpanId());
        if (i === req.failAt) throw new RpcError(Code.DATA_LOSS, 'lost it');
        yield { i };
      }
    },
    async *forever() {
      for (let i = 0; ; i++) yield { i };
    },
    async sum(_: null, chunks: AsyncIterable<number>) {
      let total = 0;
      for await (const c of chunks) total += c;
      return { total };
    },
    /** Answers after two messages, while the client may still be sending. */
    async takeTwo(_: null, chunks: AsyncIterable<number>) {
      let total = 0;
      let n = 0;
      for await (const c of chunks) {
        total += c;
        if (++n === 2) break;
      }
      return { total };
    },
    async *echo(_: null, incoming: AsyncIterable<string>) {
      for await (const m of incoming) yield `echo:${m}`;
    },
  };
}

/** A set of servers and clients on one in-memory network, closed by {@link Fixture.close}. */
export class Fixture {
  readonly net: MemoryNetwork = createMemoryNetwork();
  readonly seen: Seen = { activeSpans: [], baggage: [] };
  readonly #closers: Array<() => Promise<void>> = [];

  /** A Greeter server; resolves with its endpoint. */
  async greeterServer(interceptors: ServerInterceptor[] = []): Promise<string> {
    const server = createServer({ transport: this.net.server(), interceptors });
    server.add(Greeter, greeterImpl(this.seen));
    return this.#listen(server);
  }

  /** A Relay server whose handler calls Greeter through `downstream`. */
  async relayServer(
    interceptors: ServerInterceptor[],
    downstream: ServiceClient<typeof Greeter>,
  ): Promise<string> {
    const server = createServer({ transport: this.net.server(), interceptors });
    server.add(Relay, {
      async relay(req, ctx) {
        const res = await downstream.hello(
          { name: req.name },
          req.explicitParent ? { parent: ctx } : undefined,
        );
        return { greeting: res.greeting };
      },
    });
    return this.#listen(server);
  }

  /** A client of `service` at `endpoint`. */
  client<S extends typeof Greeter | typeof Relay>(
    service: S,
    endpoint: string,
    interceptors: ClientInterceptor[] = [],
    listeners: RpcListener[] = [],
  ): ServiceClient<S> {
    const client = createClient(service, {
      endpoints: [endpoint],
      transport: (e) => this.net.client(e),
      interceptors,
      listeners,
    });
    this.#closers.push(() => client.close());
    return client;
  }

  async #listen(server: Server): Promise<string> {
    const [endpoint] = await server.listen('memory://*');
    this.#closers.push(() => server.close({ graceMs: 0 }));
    return endpoint as string;
  }

  /** Closes everything, newest first (clients before the servers they call). */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }
}
