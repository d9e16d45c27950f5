// Side-by-side cost of the xSMB codec, plain msgpackr and JSON on one machine,
// in one process, with interleaved rounds (so drift hits every subject alike).
//
//   pnpm bench            # full run (~1 min)
//   pnpm bench --quick    # fewer, shorter rounds (~10 s)
//
// Every subject takes a value and gives bytes, or takes bytes and gives a value:
// JSON includes the UTF-8 conversion to and from a Buffer, as a transport needs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { isNativeAccelerationEnabled, pack, unpack } from 'msgpackr';
import { createMsgpackCodec } from '../src/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const ROUND_MS = quick ? 60 : 150;
const WARMUP_MS = quick ? 300 : 1000;

/** A typical RPC payload: strings, integers, floats, a small array, a nested object. */
const typical = {
  id: 123456,
  method: 'demo.Greeter/hello',
  ok: true,
  ratio: 0.75,
  score: -42,
  tags: ['alpha', 'beta', 'gamma'],
  user: { name: 'Ada Lovelace', email: 'ada@example.com', age: 36, active: false },
  ts: 1700000000,
  note: 'hello world',
  items: [1, 2, 3, 4.5],
};

/** A bigger one: a page of 20 records (about 2 KB). */
const page = {
  cursor: 'c-000123',
  total: 4711,
  rows: Array.from({ length: 20 }, (_, i) => ({
    id: 1000 + i,
    sku: `SKU-${i.toString().padStart(5, '0')}`,
    price: 9.99 + i,
    qty: i * 3,
    active: i % 2 === 0,
  })),
};

interface Subject {
  readonly name: string;
  readonly run: () => number;
}

interface Result {
  readonly name: string;
  readonly nsPerOp: number;
  readonly spread: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `run` `n` times and returns nanoseconds per call. */
function time(run: () => number, n: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += run();
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === -1) console.log(sink); // keeps the results alive
  return ns / n;
}

function measure(subjects: readonly Subject[]): Result[] {
  // Warm-up, and the number of calls that makes one round last ROUND_MS.
  const perRound = subjects.map((s) => {
    const until = performance.now() + WARMUP_MS / subjects.length;
    let ns = time(s.run, 1000);
    while (performance.now() < until) ns = time(s.run, 10_000);
    return Math.max(1000, Math.round((ROUND_MS * 1e6) / ns));
  });
  const samples = subjects.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    subjects.forEach((s, i) => {
      samples[i]!.push(time(s.run, perRound[i]!));
    });
  }
  return subjects.map((s, i) => {
    const m = median(samples[i]!);
    return {
      name: s.name,
      nsPerOp: m,
      spread: (Math.max(...samples[i]!) - Math.min(...samples[i]!)) / m,
    };
  });
}

function table(title: string, results: readonly Result[], baseline: string): string {
  const base = results.find((r) => r.name === baseline)!.nsPerOp;
  const lines = [
    `| ${title} | ns/op | ops/s | vs msgpackr | spread of rounds |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const ops = Math.round(1e9 / r.nsPerOp).toLocaleString('en-US');
    lines.push(
      `| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${ops} | ${(r.nsPerOp / base).toFixed(2)}x | ±${((r.spread * 100) / 2).toFixed(0)}% |`,
    );
  }
  return lines.join('\n');
}

function overhead(results: readonly Result[], subject: string, baseline: string): string {
  const a = results.find((r) => r.name === subject)!.nsPerOp;
  const b = results.find((r) => r.name === baseline)!.nsPerOp;
  const pct = ((a / b - 1) * 100).toFixed(1);
  return `${pct.startsWith('-') ? '' : '+'}${pct}%`;
}

function benchPayload(label: string, value: unknown): void {
  const codec = createMsgpackCodec();
  const xsmbBytes = Buffer.from(codec.encode(value));
  const msgpackrBytes = Buffer.from(pack(value));
  const jsonBytes = Buffer.from(JSON.stringify(value), 'utf8');
  // Sanity: every subject decodes to the same data, so they do the same work.
  const same = JSON.stringify(codec.decode(xsmbBytes)) === JSON.stringify(unpack(msgpackrBytes));
  if (!same) throw new Error('xSMB and msgpackr disagree on the payload');

  console.log(
    `\n${label}: xSMB ${xsmbBytes.length} B, msgpackr ${msgpackrBytes.length} B, JSON ${jsonBytes.length} B`,
  );
  const encode = measure([
    { name: 'msgpackr pack', run: () => pack(value).length },
    { name: 'xSMB encode', run: () => codec.encode(value).length },
    {
      name: 'JSON.stringify + Buffer.from',
      run: () => Buffer.from(JSON.stringify(value), 'utf8').length,
    },
  ]);
  // As a transport delivers them: each message a new view of the received bytes.
  const decode = measure([
    { name: 'msgpackr unpack', run: () => (unpack(msgpackrBytes.subarray(0)) === null ? 0 : 1) },
    {
      name: 'xSMB decode (safe)',
      run: () => (codec.decode(xsmbBytes.subarray(0)) === null ? 0 : 1),
    },
    {
      name: 'Buffer.toString + JSON.parse',
      run: () => (JSON.parse(jsonBytes.subarray(0).toString('utf8')) === null ? 0 : 1),
    },
  ]);
  // msgpackr's best case: it caches a DataView on the input object it is given.
  const sameObject = quick
    ? undefined
    : measure([
        { name: 'msgpackr unpack', run: () => (unpack(msgpackrBytes) === null ? 0 : 1) },
        { name: 'xSMB decode (safe)', run: () => (codec.decode(xsmbBytes) === null ? 0 : 1) },
      ]);
  console.log();
  console.log(table('encode', encode, 'msgpackr pack'));
  console.log();
  console.log(table('decode (a new view per message)', decode, 'msgpackr unpack'));
  if (sameObject) {
    console.log();
    console.log(table('decode (the same Buffer every call)', sameObject, 'msgpackr unpack'));
  }
  console.log(
    `\nxSMB vs plain msgpackr: encode ${overhead(encode, 'xSMB encode', 'msgpackr pack')}, ` +
      `decode ${overhead(decode, 'xSMB decode (safe)', 'msgpackr unpack')}` +
      (sameObject
        ? ` (${overhead(sameObject, 'xSMB decode (safe)', 'msgpackr unpack')} on the same Buffer every call)`
        : ''),
  );
}

const require = createRequire(import.meta.url);
// msgpackr does not export its package.json: find it next to its entry point.
const msgpackrManifest = join(dirname(require.resolve('msgpackr')), '..', 'package.json');
const msgpackrVersion = (JSON.parse(readFileSync(msgpackrManifest, 'utf8')) as { version: string })
  .version;
const cpu = cpus();
console.log('# @xsmb/codec benchmark');
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
    `node ${process.version} (${process.platform}-${process.arch}); msgpackr ${msgpackrVersion} ` +
    `(native string extraction ${isNativeAccelerationEnabled ? 'on' : 'off'})`,
);
console.log(
  `method: ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms per subject after ${WARMUP_MS} ms warm-up; median ns/op${quick ? ' (--quick)' : ''}`,
);
benchPayload('typical message', typical);
if (!quick) benchPayload('page of 20 records', page);
