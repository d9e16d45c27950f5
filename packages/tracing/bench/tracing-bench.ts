/**
 * What tracing costs: unary throughput with 64 calls in flight, client and
 * server in separate processes over ZeroMQ tcp on 127.0.0.1, ~192-byte
 * requests echoed back, in several modes side by side:
 *
 * - `off`: no interceptors (rpc then calls handlers directly, its fastest path);
 * - `pass-through`: an identity interceptor `(next) => next` on both sides,
 *   so rpc runs its interceptor path: the baseline of what tracing itself adds;
 * - `noop`: `clientTracing()` / `serverTracing()` installed, no SDK registered
 *   (what a library user who does not trace pays);
 * - `sdk 10%`: the Node SDK with `ParentBased(TraceIdRatioBased(0.1))`, a
 *   BatchSpanProcessor and an exporter that drops spans;
 * - `sdk 10% + metrics`: the same plus a MeterProvider exporting every second
 *   to an exporter that drops them;
 * - `sdk 100%`: every call sampled (the worst case).
 *
 * Every cell gets fresh processes; modes are interleaved and rotated per
 * round, and the report gives medians over rounds (the machine is shared).
 *
 *   pnpm bench                       # 5 rounds × 1 s warm-up + 3 s
 *   pnpm bench --quick               # 3 rounds × 0.25 s + 0.75 s
 *   pnpm bench --rounds 9 --only off,noop
 *   pnpm bench --profile /tmp/prof   # children write --cpu-prof profiles there
 *   pnpm bench --json bench-results-tracing.json
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus as cpuList, loadavg, type as osType, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createClient, createContextValues, createServer, defineService, unary } from '@xsmb/rpc';
import { serverCore } from '@xsmb/rpc/kit';
import { clientTracing, serverTracing } from '../src/index.js';

const MODES = ['off', 'pass-through', 'noop', 'sdk 10%', 'sdk 10% + metrics', 'sdk 100%'] as const;
type Mode = (typeof MODES)[number];

interface Message {
  id: number;
  user: { name: string; email: string };
  items: { sku: string; qty: number; price: number }[];
  ts: number;
}

const Bench = defineService('bench.Echo', { echo: unary<Message, Message>() });

/** The request of call `n`: the same ~192-byte shape as the workspace benchmark's payload. */
function makeMessage(n: number): Message {
  return {
    id: 2 ** 30 + n,
    user: { name: 'Ada Lovelace', email: 'ada@example.org' },
    items: [
      { sku: 'SKU-000101', qty: 2, price: 19.99 },
      { sku: 'SKU-000202', qty: 1, price: 5.25 },
      { sku: 'SKU-000303', qty: 12, price: 0.5 },
    ],
    ts: 1732492800123,
  };
}

// ------------------------------------------------------------------ children

/** An interceptor that adds nothing: `next` itself. */
const passThrough = <N>(next: N): N => next;

type ToChild = { t: 'mark' } | { t: 'go'; durationMs: number } | { t: 'report' } | { t: 'stop' };
type FromChild =
  | { t: 'ready'; endpoint: string }
  | { t: 'warm' }
  | { t: 'marked' }
  | {
      t: 'report';
      calls: number;
      seconds: number;
      cpuUs: number;
      spans: number;
      /** Server only: logical messages per ZeroMQ message received and sent (burst coalescing). */
      burstIn?: number;
      burstOut?: number;
    }
  | { t: 'error'; message: string };

function send(message: FromChild): void {
  process.send?.(message);
}

function next<T extends ToChild['t']>(type: T): Promise<Extract<ToChild, { t: T }>> {
  return new Promise((resolve) => {
    const on = (m: ToChild) => {
      if (m.t !== type) return;
      process.off('message', on);
      resolve(m as Extract<ToChild, { t: T }>);
    };
    process.on('message', on);
  });
}

/** Sets up OpenTelemetry for a mode; returns the count of spans exported so far. */
function setUpTelemetry(mode: Mode): () => number {
  let spans = 0;
  if (mode === 'off' || mode === 'pass-through' || mode === 'noop') return () => spans;
  const exporter: SpanExporter = {
    export(batch: ReadableSpan[], done) {
      spans += batch.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  const sampler: Sampler =
    mode === 'sdk 100%'
      ? new AlwaysOnSampler()
      : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });
  new NodeTracerProvider({
    sampler,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  }).register();
  if (mode === 'sdk 10% + metrics') {
    const dropping: PushMetricExporter = {
      export: (_metrics, done) => done({ code: 0 }),
      forceFlush: async () => {},
      shutdown: async () => {},
      selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
    };
    metrics.setGlobalMeterProvider(
      new MeterProvider({
        readers: [
          new PeriodicExportingMetricReader({ exporter: dropping, exportIntervalMillis: 1000 }),
        ],
      }),
    );
  }
  return () => spans;
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

async function serverChild(mode: Mode): Promise<void> {
  const spans = setUpTelemetry(mode);
  const server = createServer({
    maxConcurrency: 256,
    interceptors: mode === 'off' ? [] : mode === 'pass-through' ? [passThrough] : [serverTracing()],
  });
  server.add(Bench, { echo: (m) => m });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  send({ t: 'ready', endpoint });
  await next('mark');
  const cpu = process.cpuUsage();
  const spansAtMark = spans();
  const io = serverCore(server).transport.stats();
  send({ t: 'marked' });
  await next('report');
  const cpuSpent = cpuUs(cpu);
  const now = serverCore(server).transport.stats();
  send({
    t: 'report',
    calls: 0,
    seconds: 0,
    cpuUs: cpuSpent,
    spans: spans() - spansAtMark,
    burstIn: (now.messagesIn - io.messagesIn) / Math.max(1, now.zmqIn - io.zmqIn),
    burstOut: (now.messagesOut - io.messagesOut) / Math.max(1, now.zmqOut - io.zmqOut),
  });
  await next('stop');
  await server.close({ graceMs: 1000 });
}

async function clientChild(mode: Mode, endpoint: string, warmupMs: number): Promise<void> {
  const spans = setUpTelemetry(mode);
  const inFlight = 64;
  const client = createClient(Bench, {
    endpoints: [endpoint],
    maxInFlight: inFlight,
    waitForReady: true,
    interceptors: mode === 'off' ? [] : mode === 'pass-through' ? [passThrough] : [clientTracing()],
  });
  let n = 0;
  let done = 0;
  let end = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const id = n++;
      const reply = await client.echo(makeMessage(id));
      if (reply.id !== 2 ** 30 + id || reply.items.length !== 3) throw new Error('bad echo');
      done++;
    }
  };
  const run = () => Promise.all(Array.from({ length: inFlight }, worker));
  end = performance.now() + warmupMs;
  await run();
  send({ t: 'warm' });
  const { durationMs } = await next('go');
  const spansAtStart = spans();
  const cpu = process.cpuUsage();
  done = 0;
  const t0 = performance.now();
  end = t0 + durationMs;
  await run();
  const seconds = (performance.now() - t0) / 1000;
  send({ t: 'report', calls: done, seconds, cpuUs: cpuUs(cpu), spans: spans() - spansAtStart });
  await next('stop');
  await client.close();
}

// ------------------------------------------------------------------ parent

interface Cell {
  mode: Mode;
  round: number;
  callsPerSecond: number;
  cpuUsPerCall: number;
  clientCpuUsPerCall: number;
  serverCpuUsPerCall: number;
  clientSpans: number;
  serverSpans: number;
  burstIn: number;
  burstOut: number;
}

const self = fileURLToPath(import.meta.url);

class Child {
  readonly #proc: ChildProcess;
  readonly #inbox: FromChild[] = [];
  #waiter: (() => void) | undefined;
  #exited: Error | undefined;

  constructor(args: string[], profileDir: string | undefined) {
    const execArgv = ['--import', 'tsx'];
    if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
    this.#proc = fork(self, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (m: FromChild) => {
      this.#inbox.push(m);
      this.#waiter?.();
    });
    this.#proc.on('exit', (code, signal) => {
      this.#exited = new Error(`child ${args.join(' ')} exited (${code ?? signal})`);
      this.#waiter?.();
    });
  }

  send(message: ToChild): void {
    this.#proc.send(message);
  }

  async next<T extends FromChild['t']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { t: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.t === type || m.t === 'error');
      if (i >= 0) {
        const m = this.#inbox.splice(i, 1)[0] as FromChild;
        if (m.t === 'error') throw new Error(m.message);
        return m as Extract<FromChild, { t: T }>;
      }
      if (this.#exited) throw this.#exited;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for '${type}'`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Asks it to stop; kills it when it does not exit within 5 s. */
  async stop(): Promise<void> {
    if (this.#exited || this.#proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    try {
      this.send({ t: 'stop' });
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.#proc.exitCode === null) this.#proc.kill('SIGKILL');
  }
}

const living = new Set<Child>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const c of living) c.kill();
    process.exit(130);
  });
}

async function runCell(
  mode: Mode,
  round: number,
  warmupMs: number,
  durationMs: number,
  profileDir: string | undefined,
): Promise<Cell> {
  const limit = 3 * (warmupMs + durationMs) + 30_000;
  const server = new Child(['--role', 'server', '--mode', mode], profileDir);
  living.add(server);
  let client: Child | undefined;
  try {
    const { endpoint } = await server.next('ready', 30_000);
    client = new Child(
      ['--role', 'client', '--mode', mode, '--endpoint', endpoint, '--warmup', String(warmupMs)],
      profileDir,
    );
    living.add(client);
    await client.next('warm', limit);
    server.send({ t: 'mark' });
    await server.next('marked', 10_000);
    client.send({ t: 'go', durationMs });
    const c = await client.next('report', limit);
    server.send({ t: 'report' });
    const s = await server.next('report', 10_000);
    return {
      mode,
      round,
      callsPerSecond: c.calls / c.seconds,
      cpuUsPerCall: (c.cpuUs + s.cpuUs) / c.calls,
      clientCpuUsPerCall: c.cpuUs / c.calls,
      serverCpuUsPerCall: s.cpuUs / c.calls,
      clientSpans: c.spans,
      serverSpans: s.spans,
      burstIn: s.burstIn ?? 0,
      burstOut: s.burstOut ?? 0,
    };
  } finally {
    await client?.stop();
    await server.stop();
    if (client) living.delete(client);
    living.delete(server);
  }
}

/**
 * The interceptors' own cost per call with no SDK registered, measured in
 * this process against a `next` that returns a settled promise: the number
 * the end-to-end no-op row cannot resolve through the noise of a shared machine.
 */
function interceptorCostNs(): { client: number; server: number } {
  const response = Promise.resolve({ stream: false, trailers: {} });
  const served = Promise.resolve({ stream: false, message: 1 });
  const client = clientTracing()(() => response);
  const server = serverTracing()(() => served);
  // What the client's and the server's request of one echo call share.
  const call = {
    kind: 'unary',
    service: 'bench.Echo',
    method: 'echo',
    path: 'bench.Echo/echo',
    descriptor: Bench.methods.echo,
    message: 1,
  };
  const request = {
    ...call,
    metadata: {},
    timeoutMs: 1000,
    signal: undefined,
    waitForReady: false,
    contextValues: createContextValues(),
    wire: { endpoint: undefined, observe() {} },
  };
  const serverRequest = {
    ...call,
    ctx: { metadata: {} } as never,
    contextValues: createContextValues(),
    wire: { endpoint: undefined, observe() {} },
  };
  const time = (fn: () => unknown): number => {
    const n = 1_000_000;
    for (let i = 0; i < 100_000; i++) fn();
    const best: number[] = [];
    for (let round = 0; round < 5; round++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      best.push(Number(process.hrtime.bigint() - t0) / n);
    }
    return median(best);
  };
  const bareClient = time(() => response);
  const bareServer = time(() => served);
  return {
    client: time(() => client(request)) - bareClient,
    server: time(() => server(serverRequest)) - bareServer,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function machine(): string {
  const cpus = cpuList();
  const [l1] = loadavg();
  return [
    `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores`,
    `${fmt(totalmem() / 2 ** 30, 0)} GiB`,
    `${osType()} ${release()}`,
    `Node ${process.version}`,
    `load ${fmt(l1 ?? 0, 2)}`,
  ].join(' · ');
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function parent(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const rounds = Number(option(args, '--rounds') ?? (quick ? 3 : 5));
  const warmupMs = quick ? 250 : 1000;
  const durationMs = quick ? 750 : 3000;
  const only = option(args, '--only')?.split(',');
  const modes = MODES.filter((m) => !only || only.includes(m));
  if (modes.length === 0) throw new Error(`--only matches no mode (modes: ${MODES.join(', ')})`);
  const profileDir = option(args, '--profile');
  const json = option(args, '--json');
  const startedAt = new Date().toISOString();
  const before = machine();

  // Before any cell, while nothing is registered in this process.
  const micro = interceptorCostNs();
  const cells: Cell[] = [];
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no mode always runs first (or last) on a warming machine.
    const order = modes.map((_, i) => modes[(i + round) % modes.length] as Mode);
    for (const mode of order) {
      const cell = await runCell(mode, round, warmupMs, durationMs, profileDir);
      cells.push(cell);
      process.stderr.write(
        `[round ${round + 1}/${rounds}] ${mode.padEnd(18)} ${fmt(cell.callsPerSecond).padStart(7)} calls/s, ${fmt(cell.cpuUsPerCall, 1)} µs CPU/call, server bursts ${fmt(cell.burstIn, 1)} in / ${fmt(cell.burstOut, 1)} out\n`,
      );
    }
  }

  // Ratios against no interceptors at all, and against an identity interceptor (the same rpc code
  // path as the tracing interceptors, so that ratio is tracing's own cost).
  const bases = (['off', 'pass-through'] as const).filter((b) => modes.includes(b));
  const of = (mode: Mode, key: keyof Cell) =>
    cells.filter((c) => c.mode === mode).map((c) => c[key] as number);
  const med = (mode: Mode, key: keyof Cell) => median(of(mode, key));
  // Other load on a shared machine only ever slows a cell down (and, by shrinking bursts, raises
  // its CPU per call), so the best round is the cleanest estimate of a mode's own cost.
  const bestRate = (mode: Mode) => Math.max(...of(mode, 'callsPerSecond'));
  const bestCpu = (mode: Mode) => Math.min(...of(mode, 'cpuUsPerCall'));
  const ratio = (mode: Mode, base: Mode, key: 'callsPerSecond' | 'cpuUsPerCall') => {
    const best = key === 'callsPerSecond' ? bestRate : bestCpu;
    return `${fmt(med(mode, key) / med(base, key), 3)} (${fmt(best(mode) / best(base), 3)})`;
  };
  const lines = [
    '## @xsmb/tracing: unary throughput, 64 in flight, ~192 B requests, client and server in separate processes over tcp',
    '',
    `Machine: ${before}; at the end: load ${fmt(loadavg()[0] ?? 0, 2)}. ${startedAt}.`,
    `${rounds} rounds of ${fmt(warmupMs)} ms warm-up + ${fmt(durationMs)} ms measured per mode; median (best round).`,
    '',
    [
      '',
      'mode',
      'calls/s',
      ...bases.map((b) => `vs ${b}`),
      'CPU µs/call',
      ...bases.map((b) => `vs ${b}`),
      'CPU client + server',
      'server msgs per zmq msg in / out',
      'spans per 1k calls client / server',
      '',
    ]
      .join(' | ')
      .trim(),
    `| --- |${' ---: |'.repeat(5 + 2 * bases.length)}`,
  ];
  for (const mode of modes) {
    const perK = (key: 'clientSpans' | 'serverSpans') =>
      median(
        cells
          .filter((c) => c.mode === mode)
          .map((c) => (c[key] / (c.callsPerSecond * (durationMs / 1000))) * 1000),
      );
    lines.push(
      [
        '',
        mode,
        `${fmt(med(mode, 'callsPerSecond'))} (${fmt(bestRate(mode))})`,
        ...bases.map((b) => ratio(mode, b, 'callsPerSecond')),
        `${fmt(med(mode, 'cpuUsPerCall'), 1)} (${fmt(bestCpu(mode), 1)})`,
        ...bases.map((b) => ratio(mode, b, 'cpuUsPerCall')),
        `${fmt(med(mode, 'clientCpuUsPerCall'), 1)} + ${fmt(med(mode, 'serverCpuUsPerCall'), 1)}`,
        `${fmt(med(mode, 'burstIn'), 1)} / ${fmt(med(mode, 'burstOut'), 1)}`,
        `${fmt(perK('clientSpans'), 0)} / ${fmt(perK('serverSpans'), 0)}`,
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  lines.push(
    '',
    'CPU is user + system of both processes over the measured window. Spans exported lag the calls (batch processor), so their counts are approximate.',
    '',
    `No-op interceptors' own cost, in-process (median of 5 × 1M calls): client ${fmt(micro.client, 0)} ns/call, server ${fmt(micro.server, 0)} ns/call.`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) {
    const report = { machine: before, startedAt, rounds, warmupMs, durationMs, micro, cells };
    writeFileSync(json, JSON.stringify(report, null, 2));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const role = option(args, '--role');
  if (!role) return parent(args);
  // A child: exit if the parent goes away.
  process.on('disconnect', () => process.exit(1));
  const mode = option(args, '--mode') as Mode;
  try {
    if (role === 'server') await serverChild(mode);
    else
      await clientChild(
        mode,
        option(args, '--endpoint') as string,
        Number(option(args, '--warmup')),
      );
    process.exit(0);
  } catch (e) {
    send({ t: 'error', message: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
}

await main();
