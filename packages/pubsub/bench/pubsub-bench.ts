/**
 * Pub/sub throughput: messages per second received for 100-byte messages,
 * publisher and subscriber in separate processes over TCP loopback.
 *
 *   xsmb          @xsmb/pubsub, default options (bursting by the transport, slowSubscriber 'drop'), `for await`
 *   xsmb-callback the same, consumed with an `onMessage` callback
 *   xsmb-block    @xsmb/pubsub with slowSubscriber 'block' (lossless), `for await`
 *   raw-one    raw zeromq.js PUB/SUB, one message per zmq message
 *   raw-batch  raw zeromq.js PUB/SUB, 64 messages hand-batched per zmq message
 *
 * Every side encodes (publisher) and decodes (subscriber) each message with
 * MessagePack. Variants run interleaved, `--runs` times each (median shown),
 * so load from other processes spreads over all of them.
 *
 * Usage: pnpm bench [--quick] [--runs N] [--duration-ms N] [--variants a,b] [--profile pub|sub]
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const argv = process.argv.slice(2);
// `pnpm bench -- --quick` passes the `--` through.
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'duration-ms': { type: 'string' },
    variants: { type: 'string' },
    profile: { type: 'string' },
  },
});
const quick = values.quick === true;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const durationMs = Number(values['duration-ms'] ?? (quick ? 1500 : 4000));
const variants = (values.variants ?? 'xsmb,xsmb-callback,xsmb-block,raw-one,raw-batch').split(',');
const worker = join(import.meta.dirname, 'pubsub-bench-worker.ts');

interface Result {
  rate: number;
  sent: number;
  received: number;
  /** Subscriber CPU time per received message, µs. */
  subCpuUs: number;
  /** Publisher CPU time per sent message, µs. */
  pubCpuUs: number;
  /** Messages per ZeroMQ message the subscriber received (xSMB variants). */
  perZmqMessage: number | undefined;
}

// `--profile pub|sub`: that side runs with --cpu-prof; profiles go to a temporary directory.
const profile = values.profile;
const profileDir = join(tmpdir(), 'xsmb-pubsub-bench-profiles');
if (profile !== undefined) console.log(`CPU profiles of the ${profile} side: ${profileDir}`);

function start(args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const prof = profile === args[0] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // Each worker runs under tsx, like this script (process.execArgv holds its loader).
  const child = spawn(process.execPath, [...process.execArgv, ...prof, worker, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function line<T>(lines: AsyncIterator<string>, what: string): Promise<T> {
  const next = await lines.next();
  if (next.done === true) throw new Error(`worker ended before ${what}`);
  return JSON.parse(next.value) as T;
}

async function runOnce(variant: string): Promise<Result> {
  const pub = start(['pub', variant, String(durationMs)]);
  try {
    const { endpoint } = await line<{ endpoint: string }>(pub.lines, 'endpoint');
    const sub = start(['sub', variant, endpoint]);
    try {
      await line(sub.lines, 'ready');
      const p = await line<{ sent: number; cpuMs: number }>(pub.lines, 'sent');
      const r = await line<{
        received: number;
        stamped: number;
        elapsedMs: number;
        cpuMs: number;
        perZmqMessage?: number;
      }>(sub.lines, 'result');
      return {
        rate: (r.stamped / r.elapsedMs) * 1000,
        sent: p.sent,
        received: r.received,
        subCpuUs: (r.cpuMs * 1000) / r.stamped,
        pubCpuUs: (p.cpuMs * 1000) / p.sent,
        perZmqMessage: r.perZmqMessage,
      };
    } finally {
      await stop(sub.child);
    }
  } finally {
    await stop(pub.child);
  }
}

/** SIGINT (not SIGKILL) so that --cpu-prof writes its profile; waits for the exit. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const cpu = cpus();
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}; ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  `100-byte messages, TCP loopback, publisher and subscriber in separate processes, ` +
    `${durationMs} ms per run, ${runs} run(s) per variant, interleaved\n`,
);

const results = new Map<string, Result[]>();
for (let r = 0; r < runs; r++) {
  for (const v of variants) {
    const res = await runOnce(v);
    if (!results.has(v)) results.set(v, []);
    results.get(v)!.push(res);
    console.log(
      `  run ${r + 1} ${v.padEnd(9)} ${fmt(res.rate).padStart(10)} msg/s received ` +
        `(${fmt(res.received)} of ${fmt(res.sent)} sent; CPU per message: ` +
        `subscriber ${res.subCpuUs.toFixed(2)} µs, publisher ${res.pubCpuUs.toFixed(2)} µs` +
        `${res.perZmqMessage === undefined ? '' : `; ${res.perZmqMessage.toFixed(1)} per zmq message`})`,
    );
  }
}

const med = new Map([...results].map(([v, rs]) => [v, median(rs.map((x) => x.rate))]));
const one = med.get('raw-one');
const batch = med.get('raw-batch');
console.log(
  '\n| variant | received msg/s (median) | min – max | delivered | vs raw-one | vs raw-batch | sub CPU µs/msg | pub CPU µs/msg |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [v, rs] of results) {
  const m = med.get(v)!;
  const rates = rs.map((x) => x.rate);
  const delivered = rs.reduce((a, x) => a + x.received, 0) / rs.reduce((a, x) => a + x.sent, 0);
  console.log(
    `| ${v} | ${fmt(m)} | ${fmt(Math.min(...rates))} – ${fmt(Math.max(...rates))} | ` +
      `${(delivered * 100).toFixed(1)}% | ${one ? `${(m / one).toFixed(2)}x` : '–'} | ` +
      `${batch ? `${(m / batch).toFixed(2)}x` : '–'} | ` +
      `${median(rs.map((x) => x.subCpuUs)).toFixed(2)} | ${median(rs.map((x) => x.pubCpuUs)).toFixed(2)} |`,
  );
}
