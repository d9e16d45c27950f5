// A real DNS server for the resolver tests: dnsmasq on a free loopback port,
// answering for one test domain from a hosts file the test rewrites and
// reloads with SIGHUP (scale up, scale down, a name that stops resolving).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// dnsmasq lives in /usr/sbin, which a non-login shell's PATH may leave out.
const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

/** Whether a dnsmasq binary is installed. */
export function dnsmasqAvailable(): boolean {
  try {
    execFileSync('dnsmasq', ['--version'], { stdio: 'ignore', env });
    return true;
  } catch {
    return false;
  }
}

/** A running dnsmasq. */
export interface Dnsmasq {
  /** `127.0.0.1:<port>`, for a resolver's `servers`. */
  readonly server: string;
  /**
   * Replaces the hosts file (`address name` per entry), reloads it (SIGHUP)
   * and resolves once dnsmasq has logged reading it.
   */
  setHosts(entries: readonly (readonly [address: string, name: string])[]): Promise<void>;
  /** Stops the process and removes its files. */
  close(): Promise<void>;
}

/** Options of {@link startDnsmasq}. */
export interface DnsmasqOptions {
  /** The domain answered locally (NXDOMAIN for unknown names in it). */
  readonly domain: string;
  /** TTL of every answer, in seconds (`--local-ttl`). */
  readonly ttlSeconds: number;
  /** `--srv-host` values: `_service._tcp.domain,target,port,priority,weight`. */
  readonly srv?: readonly string[];
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`dnsmasq did not start: ${output}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('started')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dnsmasq exited (${code}): ${output}`));
    });
  });
}

/** Starts dnsmasq on a free loopback port; retries when the port was taken meanwhile. */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), 'xsmb-dnsmasq-'));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, '');
  for (let attempt = 0; ; attempt++) {
    const port = await freeUdpPort();
    const args = [
      '--keep-in-foreground',
      '--log-facility=-',
      '--conf-file=/dev/null',
      '--pid-file=',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hostsFile}`,
      `--local=/${options.domain}/`,
      `--local-ttl=${options.ttlSeconds}`,
      ...(options.srv ?? []).map((s) => `--srv-host=${s}`),
      ...(process.getuid?.() === 0 ? ['--user=root', '--group=root'] : []),
    ];
    const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    try {
      await started(child);
    } catch (error) {
      child.kill('SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    // The log is read all along (a full pipe would block dnsmasq); a reload
    // is done when it says it read the hosts file again.
    let log = '';
    let onLog: (() => void) | undefined;
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      onLog?.();
    });
    return {
      server: `127.0.0.1:${port}`,
      async setHosts(entries) {
        writeFileSync(hostsFile, entries.map(([a, n]) => `${a} ${n}\n`).join(''));
        const from = log.length;
        const reloaded = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('dnsmasq did not reload')), 20_000);
          onLog = () => {
            if (log.indexOf(`read ${hostsFile}`, from) >= 0) {
              clearTimeout(timer);
              onLog = undefined;
              resolve();
            }
          };
        });
        child.kill('SIGHUP');
        await reloaded;
      },
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
