/**
 * `pnpm bench`: every workload with every subject, side by side, in one run.
 * Each cell runs its server and its client in two fresh child processes over
 * TCP loopback; the parent only orchestrates and prints.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setPinning } from './harness/child.js';
import { describeMachine, formatMachine, loadAverageNow } from './harness/machine.js';
import { NATS_URL_ENV, type NatsBroker, startNatsServer } from './harness/nats-server.js';
import {
  formatNumber,
  ratioColumns,
  renderErrors,
  renderRatios,
  renderResults,
} from './harness/report.js';
import { type CellResult, runCell } from './harness/run-cell.js';
import { PUB_MESSAGE_BYTES, REQUEST_BYTES } from './payload.js';
import { loadSubject, SUBJECTS } from './subjects/index.js';
import { type Subject, WORKLOAD_NAMES } from './types.js';
import { WORKLOADS } from './workloads/index.js';
import type { RunMode, Workload } from './workloads/workload.js';

const USAGE = `usage: pnpm bench [--quick] [--pin] [--only <term>[,<term>…]] [--json <file>] [--ref <subject>] [--strict]

  --quick          short run (whole run under a minute; figures noisier)
  --pin            run every client, server and broker process on CPU 0
                   (taskset -c 0), so context switches dominate
  --only <terms>   run only cells whose workload or subject name contains a term;
                   terms matching workloads and terms matching subjects combine
                   (--only unary,zmq = the unary workloads of the zmq subjects);
                   repeatable, comma-separated
  --json <file>    also write machine-readable results to <file>
  --ref <subject>  peer the ratio table divides by while no xSMB subject exists
                   (default zmq-batched)
  --strict         exit with status 1 if any cell failed
  --help           this text

workloads: ${WORKLOAD_NAMES.join(', ')}
subjects:  ${Object.keys(SUBJECTS).join(', ')}`;

interface Options {
  mode: RunMode;
  pin: boolean;
  only: string[];
  json: string | undefined;
  ref: string;
  strict: boolean;
}

function parseOptions(): Options | null {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      json: { type: 'string' },
      ref: { type: 'string', default: 'zmq-batched' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  return {
    mode: values.quick ? 'quick' : 'full',
    pin: values.pin,
    only: (values.only ?? [])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean),
    json: values.json,
    ref: values.ref,
    strict: values.strict,
  };
}

/** Applies `--only`: workload terms and subject terms filter their own axis. */
function select(only: readonly string[], subjects: readonly Subject[]) {
  const workloadTerms = only.filter((t) => WORKLOAD_NAMES.some((w) => w.includes(t)));
  const subjectTerms = only.filter((t) => subjects.some((s) => s.name.includes(t)));
  const unknown = only.filter((t) => !workloadTerms.includes(t) && !subjectTerms.includes(t));
  if (unknown.length > 0) {
    throw new Error(`--only: '${unknown.join("', '")}' matches no workload or subject`);
  }
  const pick = <T>(items: readonly T[], name: (t: T) => string, terms: readonly string[]) =>
    terms.length === 0 ? [...items] : items.filter((i) => terms.some((t) => name(i).includes(t)));
  return {
    workloads: pick(WORKLOAD_NAMES, (w) => w, workloadTerms),
    subjects: pick(subjects, (s) => s.name, subjectTerms),
  };
}

function headline(workload: Workload, cell: CellResult): string {
  if (cell.status !== 'ok') return `error: ${(cell.error ?? '?').split('\n')[0]}`;
  const metric = workload.metrics[0]!;
  const value = cell.metrics[metric.key] ?? Number.NaN;
  return `${formatNumber(value, metric.digits ?? 0)} ${metric.label}`;
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const loaded = await Promise.all(Object.keys(SUBJECTS).map((name) => loadSubject(name)));
  // xSMB columns first: they are what the table is about.
  const allSubjects = [
    ...loaded.filter((s) => s.kind === 'xsmb'),
    ...loaded.filter((s) => s.kind === 'peer'),
  ];
  const selected = select(options.only, allSubjects);
  let subjects = selected.subjects;
  const workloads = selected.workloads.map((name) => WORKLOADS[name] as Workload);

  const machine = describeMachine();
  const startedAt = performance.now();
  const log = (text: string) => process.stderr.write(text);
  if (options.pin) {
    setPinning('0');
    machine.pinnedTo = '0';
  }
  log(
    `bench: ${options.mode} run on ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage.toFixed(2)}` +
      `${options.pin ? ', every process pinned to CPU 0' : ''}\n`,
  );

  // The NATS peer needs a broker: one nats-server for the run, or no NATS column.
  const notes: string[] = [];
  let broker: NatsBroker | undefined;
  const needsNats = subjects.some(
    (s) => s.broker === 'nats' && workloads.some((w) => s.workloads[w.name] !== undefined),
  );
  if (needsNats) {
    try {
      broker = await startNatsServer(log);
      process.env[NATS_URL_ENV] = broker.url;
      machine.natsServer = broker.version;
      log(`bench: ${broker.version} listening on ${broker.url}\n`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const note = `NATS column skipped: ${why}`;
      log(`bench: ${note}\n`);
      notes.push(note);
      subjects = subjects.filter((s) => s.broker !== 'nats');
    }
  }
  try {
    return await runAll(options, workloads, subjects, machine, startedAt, notes, broker);
  } finally {
    await broker?.stop();
  }
}

async function runAll(
  options: Options,
  workloads: Workload[],
  subjects: Subject[],
  machine: ReturnType<typeof describeMachine>,
  startedAt: number,
  notes: string[],
  broker: NatsBroker | undefined,
): Promise<number> {
  const log = (text: string) => process.stderr.write(text);

  const plan = workloads.flatMap((workload) =>
    subjects.map((subject) => ({
      workload,
      subject,
      runs: subject.workloads[workload.name] !== undefined,
    })),
  );
  const total = plan.filter((p) => p.runs).length;
  const cells: CellResult[] = [];
  let index = 0;
  for (const { workload, subject, runs } of plan) {
    const params = workload.params[options.mode];
    if (!runs) {
      cells.push({
        workload: workload.name,
        subject: subject.name,
        status: 'n/a',
        metrics: {},
        params,
        wallMs: 0,
      });
      continue;
    }
    index++;
    log(`[${index}/${total}] ${workload.name} ${subject.name} … `);
    const cell = await runCell(
      workload,
      subject.name,
      params,
      subject.broker === 'nats' ? broker : undefined,
    );
    cells.push(cell);
    log(`${headline(workload, cell)} (${(cell.wallMs / 1000).toFixed(1)} s)\n`);
  }
  const totalMs = performance.now() - startedAt;
  machine.loadAverageEnd = loadAverageNow();

  const reference = subjects.some((s) => s.name === options.ref)
    ? options.ref
    : (subjects.find((s) => s.kind === 'peer')?.name ?? options.ref);
  const columns = ratioColumns(subjects, reference);
  const out: string[] = [
    '# xSMB side-by-side benchmark',
    '',
    formatMachine(machine),
    `mode: ${options.mode}; ${total} cells in ${(totalMs / 1000).toFixed(1)} s; ` +
      `request ${REQUEST_BYTES} B MessagePack (echoed), pub/sub message ${PUB_MESSAGE_BYTES} B; ` +
      'server and client in separate processes over TCP loopback' +
      (options.pin ? `; all pinned to CPU ${machine.pinnedTo ?? '0'}` : ''),
    ...notes.map((n) => `note: ${n}`),
    '',
    renderResults(workloads, subjects, cells),
  ];
  if (columns.length > 0) {
    const anyXsmb = subjects.some((s) => s.kind === 'xsmb');
    out.push(
      '',
      anyXsmb
        ? '## Ratios xSMB ÷ peer (↑ rows: above 1 is better for xSMB; ↓ rows: below 1 is better)'
        : `## Ratios ÷ ${reference} (reference peer; no xSMB subject yet)`,
      '',
      renderRatios(workloads, columns, cells),
    );
  }
  const errors = renderErrors(cells);
  if (errors) out.push('', '## Errors', '', errors);
  out.push(
    '',
    'CPU is user+system time of both processes (all threads) in the measured window, per operation; ' +
      'the split is (client+server). For NATS the total also includes nats-server, shown as "+ N server". ' +
      'Figures swing 20–40% between runs on a shared machine: compare within a run.',
  );
  console.log(out.join('\n'));

  if (options.json) {
    const json = {
      machine,
      mode: options.mode,
      pinned: options.pin,
      notes,
      totalMs,
      requestBytes: REQUEST_BYTES,
      pubMessageBytes: PUB_MESSAGE_BYTES,
      reference,
      subjects: subjects.map(({ name, kind, description }) => ({ name, kind, description })),
      workloads: workloads.map(({ name, description }) => ({ name, description })),
      cells,
    };
    writeFileSync(options.json, `${JSON.stringify(json, null, 2)}\n`);
    log(`results written to ${options.json}\n`);
  }
  const failed = cells.filter((c) => c.status === 'error').length;
  return options.strict && failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
