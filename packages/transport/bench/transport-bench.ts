/**
 * Transport throughput: @xsmb/transport against raw zeromq.js, side by side.
 *
 *   pnpm bench            # full run (a few minutes)
 *   pnpm bench --quick    # short run (noisier)
 *   options: --rounds N, --only one-way,echo-64,echo-1,
 *            --burst-messages N, --burst-bytes N (xsmb burst limits)
 *
 * Subjects, all DEALER (client) -> ROUTER (server) over TCP loopback, server
 * and client in separate processes (this process spawns one server per cell
 * and runs the client itself):
 * - xsmb:        createClientTransport / createServerTransport (bursting).
 * - raw-single:  zeromq.js, one ZeroMQ message per logical message.
 * - raw-batched: zeromq.js, up to 64 messages concatenated with u32 length
 *                prefixes into one frame, by hand (the target: >= 0.9x).
 *
 * Workloads, 200-byte messages:
 * - one-way:   the client sends N messages, then a 4-byte marker; done when
 *              the server has answered the marker.
 * - echo-64:   the server echoes; the client keeps 64 messages in flight.
 * - echo-1:    one message in flight: round-trip latency (p50, p99).
 *
 * Each cell first runs a warm-up pass (so the JIT has compiled the hot paths
 * of every subject), then the timed pass; CPU is counted for the timed pass
 * only, in both processes.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Dealer, version as libzmqVersion, Router } from 'zeromq';

// The built package (what users run), typed from the sources; a computed
// specifier so type-checking does not need dist/ (turbo builds before `bench`).
const { createClientTransport, createServerTransport } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const MESSAGE_BYTES = 200;
const BATCH = 64;
const WINDOW = 64;
const SUBJECTS = ['xsmb', 'raw-single', 'raw-batched'] as const;
const WORKLOADS = ['one-way', 'echo-64', 'echo-1'] as const;
type Subject = (typeof SUBJECTS)[number];
type Workload = (typeof WORKLOADS)[number];

interface Result {
  /** Logical messages per second (for echo: round trips per second). */
  rate: number;
  /** CPU time (user + system) per message, client and server process together, in µs. */
  cpuPerMessage: number;
  /** Round-trip p50 / p99 in microseconds (echo-1 only). */
  p50?: number;
  p99?: number;
}

interface Timed {
  rate: number;
  p50?: number;
  p99?: number;
}

/** Ends a one-way pass; the server answers it. Shorter than every message. */
const MARKER = Buffer.from('done');

/** Burst limits for the xsmb subject (defaults unless --burst-messages / --burst-bytes). */
const burstOptions: { maxMessages?: number; maxBytes?: number } = {};
const transportOptions = () => ({ burst: burstOptions });

// ---------------------------------------------------------------- servers ---

async function serveXsmb(workload: Workload): Promise<string> {
  const server = createServerTransport(transportOptions());
  const endpoint = await server.listen('tcp://127.0.0.1:0');
  void (async () => {
    for await (const { peer, message } of server) {
      if (workload !== 'one-way' || message.length === MARKER.length) {
        await server.send(peer, message);
      }
    }
  })();
  return endpoint;
}

/** A raw ROUTER bound to a free port on 127.0.0.1. */
async function boundRouter(): Promise<Router> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:0');
  return router;
}

async function serveRawSingle(workload: Workload): Promise<string> {
  const router = await boundRouter();
  void (async () => {
    for await (const [rid, message] of router) {
      if (workload !== 'one-way' || message!.length === MARKER.length) {
        await router.send([rid!, message!]);
      }
    }
  })();
  return router.lastEndpoint!;
}

/** Splits a hand-batched frame into its messages (views). */
function unbatch(frame: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < frame.length) {
    const len = frame.readUInt32BE(off);
    out.push(frame.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** Concatenates messages with u32 length prefixes into one frame. */
function batch(messages: Buffer[]): Buffer {
  let bytes = 0;
  for (const m of messages) bytes += 4 + m.length;
  const frame = Buffer.allocUnsafe(bytes);
  let off = 0;
  for (const m of messages) {
    frame.writeUInt32BE(m.length, off);
    m.copy(frame, off + 4);
    off += 4 + m.length;
  }
  return frame;
}

async function serveRawBatched(workload: Workload): Promise<string> {
  const router = await boundRouter();
  void (async () => {
    for await (const [rid, frame] of router) {
      const messages = unbatch(frame!);
      if (workload === 'one-way') {
        if (messages[messages.length - 1]!.length === MARKER.length) {
          await router.send([rid!, batch([MARKER])]);
        }
      } else {
        // A real server answers each request: build the replies into one frame.
        await router.send([rid!, batch(messages)]);
      }
    }
  })();
  return router.lastEndpoint!;
}

// ---------------------------------------------------------------- clients ---

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function latencies(times: number[], elapsedMs: number): Timed {
  times.sort((a, b) => a - b);
  return {
    rate: times.length / (elapsedMs / 1000),
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
  };
}

/** A client connection that can run passes of a workload. */
interface Client {
  run(workload: Workload, n: number): Promise<Timed>;
  close(): Promise<void>;
}

/** Sends one logical message per transport message. */
interface Sender {
  send(message: Buffer): Promise<unknown>;
}

/** Resolves with the next reply (xsmb: the client's async iterator). */
interface Receiver {
  next(): Promise<unknown>;
}

/** One pass of `workload` with `n` messages, one logical message per send. */
async function runPerMessage(
  sender: Sender,
  replies: Receiver,
  msg: Buffer,
  workload: Workload,
  n: number,
): Promise<Timed> {
  const started = performance.now();
  if (workload === 'one-way') {
    for (let i = 0; i < n; i++) await sender.send(msg);
    await sender.send(MARKER);
    await replies.next();
    return { rate: n / ((performance.now() - started) / 1000) };
  }
  if (workload === 'echo-64') {
    let sent = 0;
    for (; sent < Math.min(WINDOW, n); sent++) await sender.send(msg);
    for (let got = 0; got < n; got++) {
      await replies.next();
      if (sent < n) {
        sent++;
        await sender.send(msg);
      }
    }
    return { rate: n / ((performance.now() - started) / 1000) };
  }
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await sender.send(msg);
    await replies.next();
    times.push((performance.now() - t) * 1000);
  }
  return latencies(times, performance.now() - started);
}

async function clientXsmb(endpoint: string): Promise<Client> {
  const client = createClientTransport(endpoint, transportOptions());
  await client.ready({ timeoutMs: 10_000 });
  const msg = Buffer.alloc(MESSAGE_BYTES, 7);
  const replies = client[Symbol.asyncIterator]();
  return {
    close: () => client.close(),
    run: (workload, n) => runPerMessage(client, replies, msg, workload, n),
  };
}

async function clientRawSingle(endpoint: string): Promise<Client> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(endpoint);
  const msg = Buffer.alloc(MESSAGE_BYTES, 7);
  const replies: Receiver = { next: () => dealer.receive() };
  return {
    close: async () => dealer.close(),
    run: (workload, n) => runPerMessage(dealer, replies, msg, workload, n),
  };
}

async function clientRawBatched(endpoint: string): Promise<Client> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(endpoint);
  const msg = Buffer.alloc(MESSAGE_BYTES, 7);
  const many = (k: number): Buffer[] => Array.from({ length: k }, () => msg);
  return {
    close: async () => dealer.close(),
    async run(workload, n) {
      const started = performance.now();
      if (workload === 'one-way') {
        let sent = 0;
        while (sent < n) {
          const k = Math.min(BATCH, n - sent);
          // Built per batch, as a real sender would; the marker rides in the last one.
          const messages = many(k);
          sent += k;
          if (sent === n) messages.push(MARKER);
          await dealer.send(batch(messages));
        }
        await dealer.receive();
        return { rate: n / ((performance.now() - started) / 1000) };
      }
      if (workload === 'echo-64') {
        let sent = Math.min(WINDOW, n);
        await dealer.send(batch(many(sent)));
        let got = 0;
        while (got < n) {
          const [frame] = await dealer.receive();
          const k = unbatch(frame!).length;
          got += k;
          const more = Math.min(k, n - sent);
          if (more > 0) {
            sent += more;
            await dealer.send(batch(many(more)));
          }
        }
        return { rate: n / ((performance.now() - started) / 1000) };
      }
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await dealer.send(batch([msg]));
        unbatch((await dealer.receive())[0]!);
        times.push((performance.now() - t) * 1000);
      }
      return latencies(times, performance.now() - started);
    },
  };
}

const servers: Record<Subject, (w: Workload) => Promise<string>> = {
  xsmb: serveXsmb,
  'raw-single': serveRawSingle,
  'raw-batched': serveRawBatched,
};
const clients: Record<Subject, (e: string) => Promise<Client>> = {
  xsmb: clientXsmb,
  'raw-single': clientRawSingle,
  'raw-batched': clientRawBatched,
};

// ------------------------------------------------------------ orchestration ---

const self = fileURLToPath(import.meta.url);

function burstArgs(): string[] {
  const args: string[] = [];
  if (burstOptions.maxMessages !== undefined) {
    args.push('--burst-messages', String(burstOptions.maxMessages));
  }
  if (burstOptions.maxBytes !== undefined)
    args.push('--burst-bytes', String(burstOptions.maxBytes));
  return args;
}

/** A server child process for one cell. */
interface ServerProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** Sends a command line (`mark` or `cpu`) and resolves with the answer line. */
  ask(command: string): Promise<string>;
}

function startServer(subject: Subject, workload: Workload): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, self, ...burstArgs(), '--role', 'server', subject, workload],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: Interface = createInterface({ input: child.stdout! });
  const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    void nextLine().then((endpoint) =>
      resolve({
        child,
        endpoint,
        ask: (command) => {
          const answer = nextLine();
          child.stdin!.write(`${command}\n`);
          return answer;
        },
      }),
    );
  });
}

async function runCell(
  subject: Subject,
  workload: Workload,
  n: number,
  warmup: number,
): Promise<Result> {
  const server = await startServer(subject, workload);
  const client = await clients[subject](server.endpoint);
  try {
    await client.run(workload, warmup);
    await server.ask('mark');
    const started = process.cpuUsage();
    const timed = await client.run(workload, n);
    const { user, system } = process.cpuUsage(started);
    const serverCpu = Number(await server.ask('cpu'));
    return { ...timed, cpuPerMessage: (user + system + serverCpu) / n };
  } finally {
    await client.close();
    server.child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

function machine(): string {
  const zmqPkg = JSON.parse(
    readFileSync(new URL('../node_modules/zeromq/package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  const cpu = cpus();
  return [
    `CPU: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length} cores`,
    `Node ${process.version}, zeromq.js ${zmqPkg.version}, libzmq ${libzmqVersion}`,
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ].join('\n');
}

async function serverRole(subject: Subject, workload: Workload): Promise<void> {
  const endpoint = await servers[subject](workload);
  let mark = process.cpuUsage();
  process.stdout.write(`${endpoint}\n`);
  // The parent marks the start of the timed pass and asks for the CPU used since.
  createInterface({ input: process.stdin }).on('line', (command) => {
    if (command === 'mark') {
      mark = process.cpuUsage();
      process.stdout.write('ok\n');
    } else {
      const { user, system } = process.cpuUsage(mark);
      process.stdout.write(`${user + system}\n`);
    }
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      role: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      'burst-messages': { type: 'string' },
      'burst-bytes': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values['burst-messages'] !== undefined) {
    burstOptions.maxMessages = Number(values['burst-messages']);
  }
  if (values['burst-bytes'] !== undefined) burstOptions.maxBytes = Number(values['burst-bytes']);
  if (values.role === 'server') {
    const [subject, workload] = positionals as [Subject, Workload];
    await serverRole(subject, workload);
    return;
  }
  const quick = values.quick;
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  // Messages per timed pass; raw-single is ~10x slower, so it gets a tenth
  // (rates are per second, so the figures stay comparable).
  const sizes: Record<Workload, number> = quick
    ? { 'one-way': 400_000, 'echo-64': 200_000, 'echo-1': 2_000 }
    : { 'one-way': 2_000_000, 'echo-64': 1_000_000, 'echo-1': 10_000 };
  const size = (w: Workload, s: Subject): number =>
    s === 'raw-single' && w !== 'echo-1' ? sizes[w] / 10 : sizes[w];
  const workloads = WORKLOADS.filter(
    (w) => values.only === undefined || values.only.split(',').includes(w),
  );

  console.log(`# @xsmb/transport benchmark${quick ? ' (quick)' : ''}\n`);
  console.log(machine());
  console.log(
    `${MESSAGE_BYTES}-byte messages, TCP loopback, server and client in separate processes; warm-up pass, then the median of ${rounds} timed round(s), subjects interleaved.\n`,
  );

  const results = new Map<string, Result[]>();
  for (let r = 0; r < rounds; r++) {
    for (const workload of workloads) {
      for (const subject of SUBJECTS) {
        const n = size(workload, subject);
        const result = await runCell(subject, workload, n, Math.ceil(n / 4));
        const key = `${workload}/${subject}`;
        results.set(key, [...(results.get(key) ?? []), result]);
      }
    }
  }

  const pick = (w: Workload, s: Subject, f: (r: Result) => number): number =>
    median(results.get(`${w}/${s}`)!.map(f));
  // One figure of each subject, in SUBJECTS order: xsmb, raw-single, raw-batched.
  const bySubject = (w: Workload, f: (r: Result) => number) =>
    SUBJECTS.map((subject) => pick(w, subject, f)) as [number, number, number];
  console.log('Throughput, logical messages per second (echo: round trips per second):\n');
  console.log('| workload | xsmb | raw-single | raw-batched | xsmb / single | xsmb / batched |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const w of workloads) {
    const [x, s, b] = bySubject(w, (r) => r.rate);
    console.log(
      `| ${w} | ${fmt(x)} | ${fmt(s)} | ${fmt(b)} | ${(x / s).toFixed(2)}x | ${(x / b).toFixed(2)}x |`,
    );
  }
  console.log(
    '\nCPU per message, both processes together (µs; lower is better, steadier under load):\n',
  );
  console.log('| workload | xsmb | raw-single | raw-batched |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const w of workloads) {
    const [x, s, b] = bySubject(w, (r) => r.cpuPerMessage);
    console.log(`| ${w} | ${x.toFixed(2)} | ${s.toFixed(2)} | ${b.toFixed(2)} |`);
  }
  if (!workloads.includes('echo-1')) return;
  console.log('\n| echo-1 round trip | p50 µs | p99 µs |');
  console.log('| --- | ---: | ---: |');
  for (const s of SUBJECTS) {
    console.log(
      `| ${s} | ${fmt(pick('echo-1', s, (r) => r.p50!))} | ${fmt(pick('echo-1', s, (r) => r.p99!))} |`,
    );
  }
}

await main();
