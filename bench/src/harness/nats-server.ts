/**
 * The `nats-server` the NATS peer talks through: started by the parent once
 * per run on a free loopback port, killed when the run ends (also on error
 * and on SIGINT/SIGTERM, through the children's kill set). When the binary
 * is missing it is installed with `apt-get install -y nats-server`; when that
 * fails the caller skips the NATS column.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned, track } from './child.js';
import { withTimeout } from './time.js';

/** A running broker. */
export interface NatsBroker {
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  /** `nats-server --version` output. */
  version: string;
  /** User + system CPU time the broker has used so far, µs (from /proc/<pid>/stat). */
  cpuUs(): number | undefined;
  /** Kills it (SIGTERM, then SIGKILL) and removes its config. */
  stop(): Promise<void>;
}

/** Environment variable with the broker URL, set by the parent for the children. */
export const NATS_URL_ENV = 'BENCH_NATS_URL';

const BINARY = 'nats-server';
const START_MS = 10_000;

function version(): string | null {
  const r = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : r.stdout.trim() || r.stderr.trim();
}

/** Finds or installs nats-server; returns its version or throws with the reason. */
function ensureBinary(log: (text: string) => void): string {
  const found = version();
  if (found) return found;
  log('bench: nats-server not found, running apt-get install -y nats-server …\n');
  const r = spawnSync('apt-get', ['install', '-y', 'nats-server'], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = version();
  if (installed) return installed;
  if (!r.error && r.status === 0) {
    throw new Error('apt-get install -y nats-server succeeded but nats-server is not on PATH');
  }
  const why = r.error
    ? r.error.message
    : `status ${r.status}: ${`${r.stderr ?? ''}`.trim().split('\n').slice(-2).join(' ')}`;
  throw new Error(
    `nats-server is not installed and apt-get install -y nats-server failed (${why})`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** utime + stime of `pid` in µs, or undefined once it is gone. */
function procCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / clockTicks();
  } catch {
    return undefined;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

/**
 * Starts nats-server on 127.0.0.1 with a free port, `max_payload: 8MB`
 * (the default 1 MiB is below the 1 MiB message plus its framing) and
 * `max_pending: 256MB` (a stream subscriber a little behind must not be cut
 * off as a slow consumer at the default 64 MB; NATS has no flow control of
 * its own on plain subjects), pinned
 * like the children when `--pin` is on. Throws with the reason when it
 * cannot (the caller skips the NATS column).
 */
export async function startNatsServer(log: (text: string) => void): Promise<NatsBroker> {
  const binaryVersion = ensureBinary(log);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'xsmb-bench-nats-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, `listen: 127.0.0.1:${port}\nmax_payload: 8MB\nmax_pending: 256MB\n`);
  const [command, args] = pinned(BINARY, ['-c', config]);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4096);
      if (output.includes('Server is ready')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`nats-server exited (${signal ?? `code ${code}`}): ${output.trim()}`)),
    );
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await withTimeout(exited, 2000, 'nats-server stop').catch(() => child.kill('SIGKILL'));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await withTimeout(ready, START_MS, 'nats-server start');
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid;
  return {
    url: `nats://127.0.0.1:${port}`,
    version: binaryVersion,
    cpuUs: () => (pid === undefined ? undefined : procCpuUs(pid)),
    stop,
  };
}
