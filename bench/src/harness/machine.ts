/** What the run was measured on, printed above the table and saved in the JSON. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { version as libzmqVersion } from 'zeromq';

/** Machine and software description. */
export interface MachineInfo {
  /** `lscpu`'s "Model name" (Node's cpus()[0].model when lscpu is missing). */
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  libzmq: string;
  packages: Record<string, string>;
  /** 1-minute load average when the run started (others' work shows here). */
  loadAverage: number;
  /** 1-minute load average when the run ended (set by the caller). */
  loadAverageEnd?: number;
  date: string;
  /** CPU list every benchmark process was pinned to (`--pin`), if any. */
  pinnedTo?: string;
  /** `nats-server --version`, when the NATS peer ran. */
  natsServer?: string;
}

/** `lscpu`'s "Model name", or null without lscpu. */
function lscpuModel(): string | null {
  const r = spawnSync('lscpu', [], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) return null;
  const line = r.stdout.split('\n').find((l) => /^Model name:/.test(l));
  return line ? line.slice(line.indexOf(':') + 1).trim() : null;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    // Not every package exports ./package.json: find it from the main entry.
    let dir = require.resolve(name);
    for (let i = 0; i < 8; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === name) return pkg.version ?? '?';
      } catch {
        // No package.json at this level: keep walking up.
      }
    }
  } catch {
    // Not installed.
  }
  return '?';
}

/** Describes this machine. */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: lscpuModel() ?? cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    libzmq: libzmqVersion,
    packages: Object.fromEntries(
      ['zeromq', '@grpc/grpc-js', 'undici', '@nats-io/transport-node', 'msgpackr'].map((n) => [
        n,
        packageVersion(n),
      ]),
    ),
    loadAverage: os.loadavg()[0] ?? 0,
    date: new Date().toISOString(),
  };
}

/** The 1-minute load average now. */
export function loadAverageNow(): number {
  return os.loadavg()[0] ?? 0;
}

/** The machine as a few printable lines. */
export function formatMachine(m: MachineInfo): string {
  const pkgs = Object.entries(m.packages)
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
  return [
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB, ${m.os}`,
    `software: Node ${m.node}, libzmq ${m.libzmq}, ${pkgs}` +
      (m.natsServer === undefined ? '' : `, ${m.natsServer}`),
    ...(m.pinnedTo === undefined
      ? []
      : [
          `pinned: every client, server and broker process on CPU ${m.pinnedTo} (taskset -c ${m.pinnedTo}): context switches dominate`,
        ]),
    `date: ${m.date}; 1-min load average ${m.loadAverage.toFixed(2)} at start` +
      (m.loadAverageEnd === undefined ? '' : `, ${m.loadAverageEnd.toFixed(2)} at end`),
  ].join('\n');
}
