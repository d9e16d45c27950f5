/**
 * Starts `server-main.ts` as a child process inside a host's namespace and
 * hands back its endpoints.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { toolEnv } from './command.js';
import type { Host } from './netns.js';

const MAIN = fileURLToPath(new URL('./server-main.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A server process on a host. */
export interface ServerProcess {
  /** The RPC endpoint (`tcp://<host address>:<port>`). */
  readonly rpc: string;
  /** The publisher's endpoint. */
  readonly pub: string;
  /** The RPC endpoint's port. */
  readonly rpcPort: number;
  /** The child's process id. */
  readonly pid: number;
  /** Kills the process at once (SIGKILL): no goodbye reaches any peer. */
  kill(): Promise<void>;
  /** Closes the process's stdin (it then closes its server) and waits for it to exit. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** The RPC port (a namespace has all ports to itself). @default 0 (any) */
  readonly rpcPort?: number;
  /** Reject when the child has printed nothing after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * Runs the probe server on `host`, listening on the host's address. Rejects
 * when the child exits or prints nothing within `timeoutMs`.
 */
export async function startServer(
  host: Host,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const args = [host.address, String(options.rpcPort ?? 0)];
  const child = spawn('ip', ['netns', 'exec', host.ns, 'node', '--import', 'tsx', MAIN, ...args], {
    cwd: PACKAGE_DIR,
    env: toolEnv,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code, signal) =>
        reject(new Error(`server on ${host.ns} exited (${code ?? signal}) before listening`)),
      );
      timer = setTimeout(() => reject(new Error(`server on ${host.ns} did not start`)), timeoutMs);
    });
    const { rpc, pub } = JSON.parse(first) as { rpc: string; pub: string };
    return {
      rpc,
      pub,
      rpcPort: Number(new URL(rpc.replace(/^tcp:/, 'http:')).port),
      pid: child.pid!,
      async kill() {
        child.kill('SIGKILL');
        await exited(child);
      },
      async stop() {
        child.stdin!.end();
        const done = exited(child);
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await done;
        clearTimeout(t);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
    lines.removeAllListeners('line');
  }
}
