/**
 * Parent side of a benchmark child process: launching, typed message
 * waiting, and killing. Every child ever launched is tracked and killed when
 * the parent exits, also on error and on SIGINT/SIGTERM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkloadName } from '../types.js';
import { errorMessage } from './error-message.js';
import type { FromChild, Params, Role, ToChild } from './ipc.js';
import { withTimeout } from './time.js';

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES: Record<Role, string> = {
  server: fileURLToPath(new URL('../server-entry.ts', import.meta.url)),
  client: fileURLToPath(new URL('../client-entry.ts', import.meta.url)),
};

// Children run TypeScript through the same tsx loader as the parent.
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

const live = new Set<ChildProcess>();
let exitHooksInstalled = false;
/** CPU list for `taskset -c` when `--pin` is on; null: not pinned. */
let pinCpus: string | null = null;

/**
 * Pins every process launched from now on (benchmark children, nats-server)
 * to `cpus` (`taskset -c <cpus>`), or stops pinning with null. Throws when
 * `taskset` is missing.
 */
export function setPinning(cpus: string | null): void {
  if (cpus !== null && spawnSync('taskset', ['-V']).error) {
    throw new Error('--pin needs taskset (util-linux), which is not installed');
  }
  pinCpus = cpus;
}

/** The CPU list processes are pinned to, or null. */
export function pinning(): string | null {
  return pinCpus;
}

/** `[command, args]` wrapped in `taskset -c <cpus>` when pinning is on. */
export function pinned(command: string, args: readonly string[]): [string, string[]] {
  return pinCpus === null ? [command, [...args]] : ['taskset', ['-c', pinCpus, command, ...args]];
}

/**
 * Adds a process to the set killed when the parent exits (also on error,
 * SIGINT and SIGTERM); it leaves the set when it exits.
 */
export function track(child: ChildProcess): void {
  installExitHooks();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.stderr.write(`\nbench: ${signal}, children killed\n`);
      process.exit(130);
    });
  }
}

type MessageOf<T extends FromChild['t']> = Extract<FromChild, { t: T }>;

interface Waiter {
  type: FromChild['t'];
  resolve(message: FromChild): void;
  reject(error: Error): void;
}

const TAIL_BYTES = 4096;

/** A launched child with typed, buffered message waiting. */
export class ChildHandle {
  private readonly inbox: FromChild[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;
  private tail = '';
  private readonly exited: Promise<void>;
  private readonly failedPromise: Promise<never>;
  private rejectFailed: (error: Error) => void = () => {};

  private constructor(
    private readonly child: ChildProcess,
    /** Label used in error messages (`server`, `client`). */
    readonly label: string,
  ) {
    this.failedPromise = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // Only observed through failed(); must not count as unhandled.
    this.failedPromise.catch(() => {});
    const keepTail = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);
    child.on('message', (message: FromChild) => this.onMessage(message));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.fail(
          new Error(`${this.label} exited (${signal ?? `code ${code}`})${this.tailNote()}`),
        );
        resolve();
      });
      child.once('error', (error) => {
        live.delete(child);
        this.fail(new Error(`${this.label}: ${error.message}`));
        resolve();
      });
    });
  }

  /**
   * Spawns `node --import tsx src/<role>-entry.ts <subject> <workload>` with an
   * IPC channel. stdout/stderr are captured (last 4 KiB kept for errors).
   */
  static launch(role: Role, subject: string, workload: WorkloadName): ChildHandle {
    installExitHooks();
    // With --pin, taskset execs node: same pid, same IPC channel.
    const [command, args] = pinned(process.execPath, [
      // BENCH_CPU_PROF=<dir> profiles every child (written when it exits after `stop`).
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      '--import',
      tsxLoader(),
      ENTRIES[role],
      subject,
      workload,
    ]);
    const child = spawn(command, args, {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    live.add(child);
    return new ChildHandle(child, role);
  }

  /** Sends a message; ignored once the child is gone. */
  send(message: ToChild): void {
    if (this.child.connected) this.child.send(message);
  }

  /**
   * The next message of `type` (buffered if it came earlier). Rejects if the
   * child reports an error, exits, or `timeoutMs` passes.
   */
  next<T extends FromChild['t']>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const index = this.inbox.findIndex((m) => m.t === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as MessageOf<T>);
    if (this.failure) return Promise.reject(this.failure);
    const waiting = new Promise<MessageOf<T>>((resolve, reject) => {
      this.waiters.push({ type, resolve: resolve as (m: FromChild) => void, reject });
    });
    return withTimeout(waiting, timeoutMs, `${this.label}: waiting for '${type}'`);
  }

  /**
   * Asks the child to stop, waits up to `graceMs` for it to exit, then kills
   * it with SIGKILL. Never rejects.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.send({ t: 'stop' });
    } catch {
      // Channel already closed: the kill below handles it.
    }
    await withTimeout(this.exited, graceMs, 'stop').catch(() => {
      this.child.kill('SIGKILL');
    });
    await withTimeout(this.exited, graceMs, 'kill').catch(() => {});
  }

  /**
   * Rejects as soon as the child reports an error or exits (for racing
   * against waits on the other child); never resolves.
   */
  failed(): Promise<never> {
    return this.failedPromise;
  }

  /** Kills the child at once. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private onMessage(message: FromChild): void {
    if (message.t === 'error') {
      this.fail(new Error(`${this.label}: ${message.message}`));
      return;
    }
    const index = this.waiters.findIndex((w) => w.type === message.t);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    else this.inbox.push(message);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private tailNote(): string {
    const text = this.tail.trim();
    return text ? `\n${text.split('\n').slice(-8).join('\n')}` : '';
  }
}

/** Options of {@link launchServer}. */
export interface LaunchServerOptions {
  /** How long the server may take to start and report its endpoint. Default 15 s. */
  timeoutMs?: number;
}

/**
 * Sends `init` to a launched server child and waits for its `ready`
 * message; resolves with the endpoint the server listens on.
 */
export async function waitForServer(
  child: ChildHandle,
  params: Params,
  options: LaunchServerOptions = {},
): Promise<string> {
  child.send({ t: 'init', params });
  return (await child.next('ready', options.timeoutMs ?? 15_000)).endpoint;
}

/**
 * Launches the server half of `workload` for `subject` in a child process
 * and waits for its `ready` message. On failure the child is stopped.
 */
export async function launchServer(
  subject: string,
  workload: WorkloadName,
  params: Params,
  options: LaunchServerOptions = {},
): Promise<{ child: ChildHandle; endpoint: string }> {
  const child = ChildHandle.launch('server', subject, workload);
  try {
    return { child, endpoint: await waitForServer(child, params, options) };
  } catch (error) {
    await child.stop();
    throw new Error(errorMessage(error));
  }
}
