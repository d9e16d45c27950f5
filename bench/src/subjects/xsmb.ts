/**
 * xSMB: @xsmb/rpc unary calls, @xsmb/stream streams and @xsmb/pubsub topics
 * over @xsmb/transport, one subject per transport engine (`xsmb-zmtp`,
 * `xsmb-libzmq`): {@link xsmbSubject} builds either.
 */
import { createPublisher, createSubscriber, defineTopic } from '@xsmb/pubsub';
import { createClient, createServer, defineService, unary } from '@xsmb/rpc';
import { clientStream, serverStream } from '@xsmb/stream';
import type {
  BenchMessage,
  EchoMessage,
  PubMessage,
  StreamRequest,
  UploadSummary,
} from '../payload.js';
import type { BenchHandlers, OnMessage, PubSubImpl, Subject } from '../types.js';
import { rpcWorkloads } from './lib/rpc-workloads.js';

const Bench = defineService('bench.Bench', {
  echo: unary<EchoMessage, EchoMessage>(),
  stream: serverStream<StreamRequest, BenchMessage>(),
  upload: clientStream<null, BenchMessage, UploadSummary>(),
});

/** A transport engine of @xsmb/transport. */
export type XsmbEngine = 'zmtp' | 'libzmq';

/** The transport options carrying the engine (each column names its own). */
function engineOptions(engine: XsmbEngine): { readonly engine: XsmbEngine } {
  return { engine };
}

function rpcImpl(engine: XsmbEngine) {
  const transportOptions = engineOptions(engine);
  return {
    async serve(h: BenchHandlers) {
      const server = createServer({ transportOptions });
      server.add(Bench, {
        echo: (req) => h.echo(req),
        async *stream(req) {
          for (let i = 0; i < req.count; i++) yield h.streamMessage(i);
        },
        async upload(_open, chunks) {
          const sink = h.openUpload();
          for await (const c of chunks) sink.push(c);
          return sink.finish();
        },
      });
      const [endpoint] = await server.listen('tcp://127.0.0.1:0');
      return { endpoint, close: () => server.close({ graceMs: 1000 }) };
    },
    async connect(endpoint: string, options: { maxInFlight: number }) {
      const client = createClient(Bench, {
        endpoints: [endpoint],
        maxInFlight: Math.max(1024, options.maxInFlight),
        transportOptions,
        timeoutMs: 600_000,
        waitForReady: true,
      });
      return {
        unary: (req: BenchMessage) => client.echo(req),
        async serverStream(count: number, onMessage: OnMessage) {
          for await (const m of client.stream({ count })) {
            const wait = onMessage(m);
            if (wait) await wait;
          }
        },
        clientStream() {
          const up = client.upload(null);
          return { send: (m: BenchMessage) => up.send(m), finish: () => up.close() };
        },
        close: () => client.close(),
      };
    },
  };
}

const Ticks = defineTopic<PubMessage>('bench');

function pubsubImpl(engine: XsmbEngine): PubSubImpl {
  const transportOptions = engineOptions(engine);
  return {
    async publisher() {
      // 'drop' at the high-water mark, like the raw PUB sockets it is compared with.
      const pub = createPublisher({ slowSubscriber: 'drop', transportOptions });
      const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
      return {
        endpoint,
        waitForSubscribers: (n: number, timeoutMs: number) =>
          pub.waitForSubscribers(n, { timeoutMs }),
        publish: (m: PubMessage) => pub.publish(Ticks, m),
        flush: async () => {},
        close: () => pub.close(),
      };
    },
    async subscriber(endpoint: string, onMessage: OnMessage) {
      const sub = createSubscriber({ endpoints: [endpoint], transportOptions });
      // A callback, like the raw peers' receive loops: no promise per message.
      // (A `for await` over the subscription costs about 0.1 µs more per message.)
      sub.subscribe(Ticks, { onMessage: (m) => onMessage(m.value) });
      await sub.ready({ timeoutMs: 5000 });
      return { close: () => sub.close() };
    },
  };
}

/** The xSMB subject on transport engine `engine`, named `xsmb-<engine>`. */
export function xsmbSubject(engine: XsmbEngine): Subject {
  return {
    name: `xsmb-${engine}`,
    kind: 'xsmb',
    description: `@xsmb/rpc + @xsmb/stream + @xsmb/pubsub over @xsmb/transport, engine '${engine}' (DEALER/ROUTER, bursting, credit flow control)`,
    workloads: { ...rpcWorkloads(rpcImpl(engine)), pubsub: pubsubImpl(engine) },
  };
}
