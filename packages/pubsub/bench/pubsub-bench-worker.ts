/**
 * One side (publisher or subscriber) of one benchmark variant, in its own
 * process. Driven by pubsub-bench.ts over stdin/stdout, one JSON object a line.
 *
 *   publisher: binds, prints {endpoint}, waits for a subscription, publishes
 *              for `durationMs` as fast as it can, prints {sent}, then sends
 *              end markers until killed.
 *   subscriber: connects, counts messages, and on the first end marker prints
 *              {received, elapsedMs} (first to last data message) and exits.
 *
 * Variants:
 *   xsmb      @xsmb/pubsub publisher and subscriber (default options: slowSubscriber 'drop').
 *   xsmb-callback the same, the subscriber consuming with an onMessage callback.
 *   xsmb-block the same as xsmb with slowSubscriber 'block' (lossless: the publisher waits).
 *   xsmb-key1 xsmb-block, every message with the same key (the subscriber takes the whole topic).
 *   xsmb-key4 xsmb-block, keys round-robin over 4 (k0 k1 k2 k3 k0 ...): bursts never
 *             reorder, so each message is its own run of one key.
 *   xsmb-key4-one xsmb-key4 with a subscriber of key k0 only: the other keys
 *             match nobody and are left out, so k0's messages still burst.
 *   raw-one   raw zeromq.js, one msgpackr-encoded message per zmq message.
 *   raw-batch raw zeromq.js, 64 messages per zmq message (u32 length + bytes each).
 */

import { Packr, Unpackr } from 'msgpackr';
import { Subscriber, XPublisher } from 'zeromq';
import { createPublisher, createSubscriber, defineTopic, type TopicMessage } from '../src/index.js';
import { MESSAGE_BYTES, makeTick, type Tick } from './payload.js';

type Variant =
  | 'xsmb'
  | 'xsmb-callback'
  | 'xsmb-block'
  | 'xsmb-key1'
  | 'xsmb-key4'
  | 'xsmb-key4-one'
  | 'raw-one'
  | 'raw-batch';
const [role, variant, arg1, arg2] = process.argv.slice(2) as [
  'pub' | 'sub',
  Variant,
  string,
  string | undefined,
];

const KEYS = variant === 'xsmb-key1' ? ['k0'] : ['k0', 'k1', 'k2', 'k3'];
const keyed = variant.startsWith('xsmb-key');

const BATCH = 64;
const END = Buffer.from('END');
const Ticks = defineTopic<Tick>('ticks');
const End = defineTopic<number>('end');

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function now(): number {
  return performance.now();
}

/** CPU time of this process (user + system), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function publisher(durationMs: number): Promise<void> {
  const tick = makeTick();
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  if (packr.pack(tick).length !== MESSAGE_BYTES) throw new Error('payload is not 100 bytes');
  let sent = 0;
  if (variant.startsWith('xsmb')) {
    const lossless = variant === 'xsmb-block' || keyed;
    const pub = createPublisher({ slowSubscriber: lossless ? 'block' : 'drop' });
    const keyOptions = KEYS.map((key) => ({ key }));
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    out({ endpoint });
    await pub.waitForSubscribers(2, { timeoutMs: 30_000 });
    const cpu0 = cpuMs();
    const deadline = now() + durationMs;
    // Check the clock every 1024 messages: performance.now() is not free.
    while (now() < deadline) {
      if (keyed) {
        for (let i = 0; i < 1024; i++) {
          tick.seq++;
          await pub.publish(Ticks, tick, keyOptions[i % keyOptions.length]);
        }
      } else {
        for (let i = 0; i < 1024; i++) {
          tick.seq++;
          await pub.publish(Ticks, tick);
        }
      }
      sent += 1024;
    }
    out({ sent, cpuMs: cpuMs() - cpu0 });
    for (;;) {
      await pub.publish(End, 0);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const sock = new XPublisher({ linger: 0 });
  await sock.bind('tcp://127.0.0.1:*');
  out({ endpoint: sock.lastEndpoint });
  // The raw equivalent of waitForSubscribers: the XPUB's subscription message.
  await sock.receive();
  const cpu0 = cpuMs();
  const deadline = now() + durationMs;
  if (variant === 'raw-one') {
    while (now() < deadline) {
      for (let i = 0; i < 1024; i++) {
        tick.seq++;
        await sock.send(packr.pack(tick));
      }
      sent += 1024;
    }
  } else {
    const frame = Buffer.alloc(BATCH * (4 + MESSAGE_BYTES) + 16);
    while (now() < deadline) {
      for (let b = 0; b < 1024 / BATCH; b++) {
        let off = 0;
        for (let i = 0; i < BATCH; i++) {
          tick.seq++;
          const bytes = packr.pack(tick);
          frame.writeUInt32BE(bytes.length, off);
          frame.set(bytes, off + 4);
          off += 4 + bytes.length;
        }
        // A copy per send: zeromq.js may still hold the previous buffer.
        await sock.send(Buffer.from(frame.subarray(0, off)));
      }
      sent += 1024;
    }
  }
  out({ sent, cpuMs: cpuMs() - cpu0 });
  for (;;) {
    await sock.send(END);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function subscriber(endpoint: string): Promise<void> {
  let received = 0;
  // Rate = `stamped` messages over `last - first`: the clock is read every 64
  // messages (per ZeroMQ message for the raw variants), not per message.
  let stamped = 0;
  let first = 0;
  let last = 0;
  let cpuFirst = 0;
  let cpuLast = 0;
  let checksum = 0;
  let perZmqMessage: number | undefined;
  const done = (): never => {
    const result = { received, stamped, elapsedMs: last - first, cpuMs: cpuLast - cpuFirst };
    out({ ...result, checksum, perZmqMessage });
    process.exit(0);
  };
  if (variant.startsWith('xsmb')) {
    const sub = createSubscriber({ endpoints: [endpoint] });
    const onTick = (m: TopicMessage<Tick>): void => {
      if (received === 0) {
        first = now();
        cpuFirst = cpuMs();
      }
      received++;
      checksum += m.value.qty;
      if ((received & 63) === 0) {
        last = now();
        stamped = received;
        if ((received & 4095) === 0) cpuLast = cpuMs();
      }
    };
    // 'xsmb-callback' consumes with onMessage, the others with `for await`.
    const feed =
      variant === 'xsmb-callback'
        ? sub.subscribe(Ticks, { onMessage: onTick })
        : variant === 'xsmb-key4-one'
          ? sub.subscribe(Ticks, { key: 'k0' })
          : sub.subscribe(Ticks);
    const end = sub.subscribe(End);
    void (async () => {
      for await (const _ of end) {
        const t = sub.stats().transport;
        perZmqMessage = t.messagesIn / t.zmqIn;
        done();
      }
    })();
    await sub.ready();
    out({ ready: true });
    if (variant !== 'xsmb-callback') for await (const m of feed) onTick(m);
    return;
  }
  const unpackr = new Unpackr({ useRecords: false });
  const sock = new Subscriber({ linger: 0 });
  sock.connect(endpoint);
  sock.subscribe();
  out({ ready: true });
  for await (const [msg] of sock) {
    if (msg === undefined) continue;
    if (msg.length === 3 && msg.equals(END)) done();
    if (received === 0) {
      first = now();
      cpuFirst = cpuMs();
    }
    if (variant === 'raw-one') {
      received++;
      checksum += (unpackr.unpack(msg) as Tick).qty;
    } else {
      let off = 0;
      while (off < msg.length) {
        const len = msg.readUInt32BE(off);
        checksum += (unpackr.unpack(msg.subarray(off + 4, off + 4 + len)) as Tick).qty;
        off += 4 + len;
        received++;
      }
    }
    last = now();
    stamped = received;
    if ((received & 4095) < 64) cpuLast = cpuMs();
  }
}

// The driver stops workers with SIGINT; exiting normally lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0));

if (role === 'pub') await publisher(Number(arg1));
else await subscriber(arg1);
void arg2;
