/**
 * Peer: NATS, nats.js v3 (`@nats-io/transport-node`) through a `nats-server`
 * the parent starts once per run (`harness/nats-server.ts`; its URL arrives
 * in `BENCH_NATS_URL`). The "server" child is a NATS service: it subscribes
 * and answers through the broker, so every message crosses two TCP hops.
 * Each cell uses its own subject prefix, so leftovers of an earlier cell on
 * the shared broker cannot leak in. Payloads are the same msgpackr bytes as
 * the other msgpack peers.
 */
import { randomUUID } from 'node:crypto';
import { type NatsConnection, connect as natsConnect } from '@nats-io/transport-node';
import { NATS_URL_ENV } from '../harness/nats-server.js';
import { withTimeout } from '../harness/time.js';
import { type BenchMessage, codec, type EchoMessage, type PubMessage } from '../payload.js';
import type {
  BenchHandlers,
  OnMessage,
  PubSubImpl,
  Served,
  Subject,
  UploadCall,
} from '../types.js';
import { reportFatal } from './lib/fatal.js';
import { rpcWorkloads } from './lib/rpc-workloads.js';

/** Requests wait at most this long (the workloads have their own, shorter, caps). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Publishers flush (a PING/PONG round trip to the broker) every this many messages, so nats.js's outbound buffer stays bounded. */
const FLUSH_EVERY = 1024;
const EMPTY = new Uint8Array(0);

function brokerUrl(): string {
  const url = process.env[NATS_URL_ENV];
  if (!url) throw new Error(`${NATS_URL_ENV} is not set (the parent starts nats-server)`);
  return url;
}

async function open(name: string): Promise<NatsConnection> {
  return natsConnect({ servers: brokerUrl(), name, reconnect: false, noEcho: true });
}

/** `endpoint` = the subject prefix of this cell (the broker URL is in the environment). */
async function serve(handlers: BenchHandlers): Promise<Served> {
  const nc = await open('bench-server');
  const prefix = `bench.${randomUUID().replaceAll('-', '')}`;
  nc.subscribe(`${prefix}.echo`, {
    callback(error, msg) {
      if (error) return reportFatal(error);
      msg.respond(codec.pack(handlers.echo(codec.unpack(msg.data) as EchoMessage)));
    },
  });
  // Server stream: the request names the inbox; count messages, then an empty one as the end.
  nc.subscribe(`${prefix}.stream`, {
    callback(error, msg) {
      if (error) return reportFatal(error);
      const { count } = codec.unpack(msg.data) as { count: number };
      const inbox = msg.reply;
      if (!inbox) return;
      void (async () => {
        for (let i = 0; i < count; i++) {
          nc.publish(inbox, codec.pack(handlers.streamMessage(i)));
          if ((i & (FLUSH_EVERY - 1)) === FLUSH_EVERY - 1) await nc.flush();
        }
        nc.publish(inbox, EMPTY);
      })().catch(reportFatal);
    },
  });
  // Client stream: messages on `<prefix>.up.<id>`, the finishing request on
  // `<prefix>.fin.<id>`; one connection delivers both subjects in order.
  const uploads = new Map<string, ReturnType<BenchHandlers['openUpload']>>();
  nc.subscribe(`${prefix}.up.*`, {
    callback(error, msg) {
      if (error) return reportFatal(error);
      let sink = uploads.get(msg.subject);
      if (!sink) {
        sink = handlers.openUpload();
        uploads.set(msg.subject, sink);
      }
      sink.push(codec.unpack(msg.data));
    },
  });
  nc.subscribe(`${prefix}.fin.*`, {
    callback(error, msg) {
      if (error) return reportFatal(error);
      const key = `${prefix}.up.${msg.subject.slice(prefix.length + 5)}`;
      const sink = uploads.get(key) ?? handlers.openUpload();
      uploads.delete(key);
      msg.respond(codec.pack(sink.finish()));
    },
  });
  await nc.flush();
  return { endpoint: prefix, close: () => closeConnection(nc) };
}

async function closeConnection(nc: NatsConnection): Promise<void> {
  await withTimeout(nc.close(), 1000, 'nats close').catch(() => {});
}

async function connect(prefix: string) {
  const nc = await open('bench-client');
  return {
    async unary(request: EchoMessage): Promise<unknown> {
      const reply = await nc.request(`${prefix}.echo`, codec.pack(request), {
        timeout: REQUEST_TIMEOUT_MS,
      });
      return codec.unpack(reply.data);
    },
    serverStream(count: number, onMessage: OnMessage): Promise<void> {
      const inbox = `_INBOX.${randomUUID().replaceAll('-', '')}`;
      return new Promise<void>((resolve, reject) => {
        let received = 0;
        const sub = nc.subscribe(inbox, {
          callback(error, msg) {
            if (error) {
              reject(error);
              return;
            }
            if (msg.data.length === 0) {
              sub.unsubscribe();
              if (received === count) resolve();
              else reject(new Error(`nats stream ended after ${received} of ${count}`));
              return;
            }
            received++;
            // The callback API cannot pause delivery: this subject does not run stream-memory.
            void onMessage(codec.unpack(msg.data));
          },
        });
        // The subscription reaches the broker before the request (one connection, in order).
        nc.publish(`${prefix}.stream`, codec.pack({ count }), { reply: inbox });
      });
    },
    clientStream(): UploadCall {
      const id = randomUUID().replaceAll('-', '');
      const subject = `${prefix}.up.${id}`;
      let sent = 0;
      return {
        send(message: BenchMessage) {
          nc.publish(subject, codec.pack(message));
          sent++;
          return (sent & (FLUSH_EVERY - 1)) === 0 ? nc.flush() : undefined;
        },
        async finish() {
          const reply = await nc.request(`${prefix}.fin.${id}`, EMPTY, {
            timeout: REQUEST_TIMEOUT_MS,
          });
          return codec.unpack(reply.data);
        },
      };
    },
    close: () => closeConnection(nc),
  };
}

const pubsub: PubSubImpl = {
  async publisher() {
    const nc = await open('bench-publisher');
    const prefix = `bench.${randomUUID().replaceAll('-', '')}`;
    // A subscriber says hello once its subscription is at the broker
    // (it flushes first): the slow-joiner guard.
    let hellos = 0;
    const helloWaiters: (() => void)[] = [];
    nc.subscribe(`${prefix}.hello`, {
      callback() {
        hellos++;
        for (const wake of helloWaiters.splice(0)) wake();
      },
    });
    await nc.flush();
    let published = 0;
    return {
      endpoint: prefix,
      async waitForSubscribers(count: number, timeoutMs: number) {
        const deadline = performance.now() + timeoutMs;
        while (hellos < count) {
          const left = deadline - performance.now();
          if (left <= 0)
            throw new Error(`nats: ${hellos} of ${count} subscribers after ${timeoutMs} ms`);
          await withTimeout(
            new Promise<void>((resolve) => helloWaiters.push(resolve)),
            left,
            'nats subscribers',
          ).catch(() => {});
        }
      },
      publish(message: PubMessage) {
        nc.publish(`${prefix}.ticks`, codec.pack(message));
        published++;
        return (published & (FLUSH_EVERY - 1)) === 0 ? nc.flush() : undefined;
      },
      flush: () => nc.flush(),
      close: () => closeConnection(nc),
    };
  },
  async subscriber(prefix: string, onMessage: OnMessage) {
    const nc = await open('bench-subscriber');
    nc.subscribe(`${prefix}.ticks`, {
      callback(error, msg) {
        if (error) return reportFatal(error);
        void onMessage(codec.unpack(msg.data));
      },
    });
    await nc.flush();
    nc.publish(`${prefix}.hello`, EMPTY);
    await nc.flush();
    return { close: () => closeConnection(nc) };
  },
};

/** nats: nats.js v3 through a local nats-server (request/reply, subjects, pub/sub). */
export const subject: Subject = {
  name: 'nats',
  kind: 'peer',
  description:
    'nats.js v3 (@nats-io/transport-node) via a local nats-server: request/reply with a subscribed service, inbox streams, subject pub/sub; msgpackr payloads',
  broker: 'nats',
  // No stream-memory: the callback API cannot pause one subscription.
  workloads: { ...rpcWorkloads({ serve, connect }, ['stream-memory']), pubsub },
};
