/**
 * Runs the built CLI (`dist/bin.js`) as a user does: a child process with
 * arguments, standard input and environment; bounded in time.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';

/** The built executable. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`);

/** What a finished run printed and returned. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for the child: no colours, no inherited CURVE variables. */
function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('XSMB_CURVE_')) delete base[k];
  return { ...base, NO_COLOR: '1', ...env };
}

/** Runs `xsmb ...args` to completion (killed after `timeoutMs`). */
export function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`xsmb ${args.join(' ')} did not finish\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `xsmb` child whose output lines can be awaited one by one. */
export class CliProcess {
  readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly errLines: string[] = [];
  private wake: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], options: { env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const child = this.child;
    if (child.stdout === null || child.stderr === null) throw new Error('no pipes');
    createInterface({ input: child.stdout }).on('line', (l) => {
      this.lines.push(l);
      this.wake?.();
    });
    createInterface({ input: child.stderr }).on('line', (l) => {
      this.errLines.push(l);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** Waits for the next stdout line (or stderr line with `stream: 'stderr'`). */
  async line(stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 30_000): Promise<string> {
    const source = stream === 'stdout' ? this.lines : this.errLines;
    const deadline = Date.now() + timeoutMs;
    while (source.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no ${stream} line within ${timeoutMs} ms (stderr: ${this.errLines.join('\n')})`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return source.shift() as string;
  }

  /** Writes to its standard input. */
  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Stops it (SIGTERM) and waits for its exit code. */
  async close(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
