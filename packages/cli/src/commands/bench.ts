/** `xsmb bench <endpoint> <service/method> [json]`: a load test of any method. */

import { codeName, RpcError } from '@xsmb/rpc';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { build } from 'hdr-histogram-js';
import { type CurveFlags, clientCurve, withCurveOptions } from '../curve-options.js';
import {
  type DynamicMethod,
  dynamicMethod,
  kindOption,
  type MethodKind,
} from '../dynamic-client.js';
import { CliError, isLocalError } from '../exit-code.js';
import { collect, integer, parseMetadata, readMessage } from '../input.js';
import { colors, out } from '../output.js';
import { showError } from '../rpc-output.js';

interface BenchFlags extends CurveFlags {
  concurrency: number;
  duration: number;
  count?: number;
  rate: number;
  messages: number;
  timeout: number;
  header?: string[];
  kind?: MethodKind;
  json?: boolean;
}

/** The result of a run, as `--json` prints it. */
export interface BenchReport {
  /** Calls finished (successes and errors). */
  calls: number;
  /** Calls that failed. */
  errors: number;
  /** Failed calls by code name. */
  errorsByCode: Record<string, number>;
  /** Stream messages received (server and bidi streams) or sent (client streams). */
  messages: number;
  /** Wall time of the run, ms. */
  durationMs: number;
  /** Calls per second. */
  callsPerSecond: number;
  /** Stream messages per second. */
  messagesPerSecond: number;
  /** Latency of successful calls, ms. */
  latencyMs: {
    min: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
  };
  /** Latency histogram of successful calls: log2 buckets in µs. */
  histogram: Array<{ fromUs: number; toUs: number; count: number }>;
}

/** One call of any kind; returns the stream messages it moved. */
async function once(
  method: DynamicMethod,
  message: unknown,
  messages: number,
  options: { timeoutMs: number; metadata: Record<string, string> },
): Promise<number> {
  switch (method.kind) {
    case 'unary':
      await method.call(message, options);
      return 0;
    case 'server-stream': {
      let n = 0;
      for await (const _ of method.call(message, options)) n++;
      return n;
    }
    case 'client-stream': {
      const call = method.call(message, options);
      for (let i = 0; i < messages; i++) await call.send(message);
      await call.close();
      return messages;
    }
    case 'bidi-stream': {
      const call = method.call(message, options);
      const sending = (async () => {
        for (let i = 0; i < messages; i++) await call.send(message);
        call.close();
      })();
      sending.catch(() => undefined);
      let n = 0;
      for await (const _ of call) n++;
      await sending;
      return n;
    }
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** What the progress line shows, four times a second. */
interface ProgressTick {
  calls: number;
  errors: number;
  elapsedMs: number;
  p50Ms: number;
}

/**
 * A live progress bar on stderr (cli-progress), towards `--count` calls or
 * the end of `--duration`; nothing when stderr is not a terminal.
 */
function progressBar(flags: BenchFlags): { tick(t: ProgressTick): void; stop(): void } {
  if (process.stderr.isTTY !== true) return { tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format:
        '{bar} {percentage}% | {calls} calls | {rate} calls/s | {errors} errors | p50 {p50} ms',
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const total = flags.count ?? Math.round(flags.duration * 1000);
  bar.start(total, 0, { calls: 0, rate: 0, errors: 0, p50: 0 });
  return {
    tick(t) {
      bar.update(flags.count !== undefined ? t.calls : Math.round(t.elapsedMs), {
        calls: t.calls,
        rate: Math.round((t.calls * 1000) / Math.max(1, t.elapsedMs)),
        errors: t.errors,
        p50: t.p50Ms,
      });
    },
    stop: () => bar.stop(),
  };
}

/** Runs the load and collects the report. */
async function runBench(
  method: DynamicMethod,
  message: unknown,
  flags: BenchFlags,
  progress: (tick: ProgressTick) => void,
): Promise<BenchReport> {
  const histogram = build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  const buckets: number[] = [];
  const errorsByCode: Record<string, number> = {};
  let calls = 0;
  let errors = 0;
  let moved = 0;
  let issued = 0;
  const metadata = parseMetadata(flags.header);
  const started = performance.now();
  const endAt = started + flags.duration * 1000;
  const more = () => (flags.count !== undefined ? issued < flags.count : performance.now() < endAt);
  const ticker = setInterval(() => {
    progress({
      calls,
      errors,
      elapsedMs: performance.now() - started,
      p50Ms: round(histogram.getValueAtPercentile(50) / 1000),
    });
  }, 250);
  const worker = async () => {
    while (more()) {
      const ticket = issued++;
      if (flags.rate > 0) {
        // Open-loop pacing: call k starts no earlier than k / rate seconds in.
        // A timer may fire up to a millisecond early: wait again until it is really due.
        const due = started + (ticket * 1000) / flags.rate;
        for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
          await new Promise((r) => setTimeout(r, Math.ceil(wait)));
        }
      }
      const t0 = performance.now();
      try {
        // Not `moved += await ...`: that reads `moved` before the await and loses updates.
        const n = await once(method, message, flags.messages, {
          timeoutMs: flags.timeout,
          metadata,
        });
        moved += n;
        const us = Math.max(1, Math.round((performance.now() - t0) * 1000));
        histogram.recordValue(us);
        const b = Math.floor(Math.log2(us));
        buckets[b] = (buckets[b] ?? 0) + 1;
      } catch (error) {
        if (isLocalError(error)) throw error;
        errors++;
        const name = codeName(RpcError.from(error).code);
        errorsByCode[name] = (errorsByCode[name] ?? 0) + 1;
      }
      calls++;
    }
  };
  try {
    await Promise.all(Array.from({ length: flags.concurrency }, worker));
  } finally {
    clearInterval(ticker);
  }
  const durationMs = performance.now() - started;
  const ok = histogram.totalCount > 0;
  const max = ok ? round(histogram.maxValue / 1000) : 0;
  // A percentile is the top of its bucket, which can lie above the largest value seen.
  const at = (p: number) =>
    ok ? Math.min(max, round(histogram.getValueAtPercentile(p) / 1000)) : 0;
  return {
    calls,
    errors,
    errorsByCode,
    messages: moved,
    durationMs: Math.round(durationMs),
    callsPerSecond: Math.round((calls * 1000) / durationMs),
    messagesPerSecond: Math.round((moved * 1000) / durationMs),
    latencyMs: {
      min: ok ? round(histogram.minNonZeroValue / 1000) : 0,
      mean: ok ? round(histogram.mean / 1000) : 0,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max,
    },
    histogram: buckets.flatMap((count, b) =>
      count === undefined ? [] : [{ fromUs: 2 ** b, toUs: 2 ** (b + 1), count }],
    ),
  };
}

function formatUs(us: number): string {
  return us >= 1000 ? `${us / 1000} ms` : `${us} µs`;
}

function printReport(r: BenchReport, kind: MethodKind): void {
  const c = colors();
  out(
    `${c.bold(`${r.calls} calls`)} in ${(r.durationMs / 1000).toFixed(2)} s: ${r.callsPerSecond} calls/s, ${r.errors} errors`,
  );
  if (kind !== 'unary') out(`${r.messages} stream messages: ${r.messagesPerSecond} messages/s`);
  const l = r.latencyMs;
  out(
    `latency ms: min ${l.min}  mean ${l.mean}  p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`,
  );
  const most = Math.max(1, ...r.histogram.map((h) => h.count));
  for (const h of r.histogram) {
    const bar = '#'.repeat(Math.max(1, Math.round((h.count * 40) / most)));
    out(
      `${`${formatUs(h.fromUs)} - ${formatUs(h.toUs)}`.padStart(22)} | ${bar.padEnd(40)} ${h.count}`,
    );
  }
  for (const [name, n] of Object.entries(r.errorsByCode)) out(c.red(`errors ${name}: ${n}`));
}

/** Registers `bench`. */
export function benchCommand(program: Command): void {
  const command = program
    .command('bench')
    .description(
      'load-test a unary or stream method: throughput, latency percentiles, errors by code',
    )
    .argument('<endpoint>', 'server endpoint')
    .argument('<method>', 'service/method')
    .argument(
      '[json]',
      'the request (or opening message, also sent as each stream message); default {}',
    )
    .option('-c, --concurrency <n>', 'calls in flight at once', integer('--concurrency'), 16)
    .option('-d, --duration <s>', 'run for this many seconds', Number, 10)
    .option('-n, --count <n>', 'make exactly n calls (instead of --duration)', integer('--count'))
    .option(
      '--rate <n>',
      'at most n calls per second in total (0: as fast as possible)',
      integer('--rate'),
      0,
    )
    .option(
      '--messages <n>',
      'messages sent per client or bidi stream call',
      integer('--messages'),
      1,
    )
    .option('--timeout <ms>', 'deadline of each call', integer('--timeout'), 30_000)
    .option('-H, --header <key=value>', 'request metadata, repeatable', collect)
    .addOption(kindOption())
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nA progress bar is shown on stderr while it runs (when stderr is a terminal).\nFailed calls are counted by code; the exit code is 0 unless the bench could not start.',
    );
  withCurveOptions(command).action(
    async (endpoint: string, path: string, json: string | undefined, flags: BenchFlags) => {
      if (flags.concurrency < 1) throw new CliError('--concurrency must be at least 1');
      if (!(flags.duration > 0))
        throw new CliError('--duration must be a positive number of seconds');
      let method: DynamicMethod | undefined;
      try {
        method = await dynamicMethod(endpoint, path, {
          curve: clientCurve(flags),
          kind: flags.kind,
          timeoutMs: flags.timeout,
        });
        const message = await readMessage(json, { stdinFree: false, fallback: {} });
        const bar = progressBar(flags);
        let report: BenchReport;
        try {
          report = await runBench(method, message, flags, (t) => bar.tick(t));
        } finally {
          bar.stop();
        }
        if (flags.json === true) out(JSON.stringify(report));
        else printReport(report, method.kind);
      } catch (error) {
        if (isLocalError(error)) throw error;
        process.exitCode = showError(error, flags.json === true);
      } finally {
        await method?.close();
      }
    },
  );
}
