/**
 * The two hand-written zeromq peers, which differ only in batching:
 * RPC over DEALER (client) / ROUTER (server) with the envelope protocol of
 * `envelope.ts`, and pub/sub over XPUB / SUB with the topic as first frame.
 */
import { Dealer, Router, Subscriber, XPublisher } from 'zeromq';
import { withTimeout } from '../../harness/time.js';
import { codec } from '../../payload.js';
import type {
  BenchHandlers,
  Closable,
  OnMessage,
  Publisher,
  Served,
  Subject,
} from '../../types.js';
import { splitFrames } from './envelope.js';
import { reportFatal } from './fatal.js';
import { type RawPeer, RawRpcClient, RawRpcServer } from './raw-rpc.js';
import { rpcWorkloads } from './rpc-workloads.js';
import { type Route, ZmqOutbox } from './zmq-outbox.js';

/** Options of {@link createZmqSubject}. */
export interface ZmqSubjectOptions {
  name: string;
  description: string;
  /** Coalesce up to 64 queued messages into one frame per zmq message. */
  batch: boolean;
}

const BIND = 'tcp://127.0.0.1:*';
const TOPIC = Buffer.from('bench');
// Short send timeout + re-send on EAGAIN: avoids the lost wake-up of a
// waiting ROUTER send (FACTS.md). Finite linger so a close never hangs.
const SOCKET_OPTIONS = { linger: 0, sendTimeout: 20 } as const;

/** Builds a zeromq peer subject; see the module comment. */
export function createZmqSubject(options: ZmqSubjectOptions): Subject {
  const { batch } = options;

  async function serve(handlers: BenchHandlers): Promise<Served> {
    // mandatory: a full peer makes send wait instead of dropping silently.
    const router = new Router({ ...SOCKET_OPTIONS, mandatory: true });
    await router.bind(BIND);
    const endpoint = router.lastEndpoint;
    if (!endpoint) throw new Error('router has no endpoint');
    const outbox = new ZmqOutbox(router, { batch }, reportFatal);
    const core = new RawRpcServer(handlers, reportFatal);
    const peers = new Map<string, RawPeer>();
    const loop = (async () => {
      for await (const [routingId, frame] of router) {
        if (!routingId || !frame) continue;
        const key = routingId.toString('latin1');
        let peer = peers.get(key);
        if (!peer) {
          const route: Route = { key, prefix: [routingId] };
          peer = { send: (bytes) => outbox.push(route, bytes), uploads: new Map() };
          peers.set(key, peer);
        }
        if (batch) for (const message of splitFrames(frame)) core.handle(peer, message);
        else core.handle(peer, frame);
      }
    })();
    loop.catch(reportFatal);
    return {
      endpoint,
      async close() {
        router.close();
        await loop.catch(() => {});
      },
    };
  }

  async function connect(endpoint: string) {
    const dealer = new Dealer(SOCKET_OPTIONS);
    dealer.connect(endpoint);
    const route: Route = { key: '', prefix: [] };
    const outbox: ZmqOutbox = new ZmqOutbox(dealer, { batch }, (error) => core.fail(error));
    const core = new RawRpcClient((bytes) => outbox.push(route, bytes));
    const loop = (async () => {
      for await (const [frame] of dealer) {
        if (!frame) continue;
        if (batch) {
          for (const message of splitFrames(frame)) {
            const wait = core.handle(message);
            // A slow stream consumer stops this reader: zmq's high-water
            // marks then push back to the server.
            if (wait) await wait;
          }
        } else {
          const wait = core.handle(frame);
          if (wait) await wait;
        }
      }
    })();
    loop.catch((error: unknown) => core.fail(new Error(`zmq receive failed: ${String(error)}`)));
    return {
      unary: core.unary.bind(core),
      serverStream: core.serverStream.bind(core),
      clientStream: core.clientStream.bind(core),
      async close() {
        dealer.close();
        await loop.catch(() => {});
      },
    };
  }

  async function publisher(): Promise<Publisher> {
    // XPUB rather than PUB: it sees subscriptions arrive, which is the cure
    // for the slow joiner (FACTS.md).
    const pub = new XPublisher({ linger: 0 });
    await pub.bind(BIND);
    const endpoint = pub.lastEndpoint;
    if (!endpoint) throw new Error('publisher has no endpoint');
    let subscribers = 0;
    const outbox = batch ? new ZmqOutbox(pub, { batch: true }, reportFatal) : null;
    const route: Route = { key: 'bench', prefix: [TOPIC] };
    return {
      endpoint,
      async waitForSubscribers(count, timeoutMs) {
        const until = performance.now() + timeoutMs;
        while (subscribers < count) {
          const left = until - performance.now();
          if (left <= 0) throw new Error(`${subscribers} of ${count} subscribers`);
          const [event] = await withTimeout(pub.receive(), left, 'waiting for subscribers');
          if (event?.[0] === 1) subscribers++;
          else if (event?.[0] === 0) subscribers--;
        }
      },
      // One zmq message per publish, awaited: the idiomatic zeromq.js loop.
      publish: outbox
        ? (message) => outbox.push(route, codec.pack(message))
        : (message) => pub.send([TOPIC, codec.pack(message)]),
      flush: () => outbox?.flush() ?? Promise.resolve(),
      async close() {
        pub.close();
      },
    };
  }

  async function subscriber(endpoint: string, onMessage: OnMessage): Promise<Closable> {
    const sub = new Subscriber({ linger: 0 });
    sub.connect(endpoint);
    sub.subscribe(TOPIC);
    const loop = (async () => {
      for await (const [, body] of sub) {
        if (!body) continue;
        if (batch) for (const message of splitFrames(body)) onMessage(codec.unpack(message));
        else onMessage(codec.unpack(body));
      }
    })();
    loop.catch(reportFatal);
    return {
      async close() {
        sub.close();
        await loop.catch(() => {});
      },
    };
  }

  return {
    name: options.name,
    kind: 'peer',
    description: options.description,
    workloads: { ...rpcWorkloads({ serve, connect }), pubsub: { publisher, subscriber } },
  };
}
