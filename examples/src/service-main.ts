/** Shared start-up of a service process: config from the environment, IPC ready/stop, a prefixed logger. */
import type { ReadyMessage, ServiceConfig } from './contracts.js';

/** Reads the config the orchestrator passed. */
export function readConfig(): ServiceConfig {
  const raw = process.env.XSMB_DEMO_CONFIG;
  if (!raw) throw new Error('XSMB_DEMO_CONFIG is not set: start this through `pnpm demo`');
  return JSON.parse(raw) as ServiceConfig;
}

/** A logger that prefixes lines with the service name. */
export function logger(name: string): (line: string) => void {
  return (line) => process.stdout.write(`[${name}] ${line}\n`);
}

/**
 * Tells the orchestrator we are up, then waits for its `stop` (or SIGTERM,
 * or the orchestrator going away) and runs `shutdown` once before exiting.
 */
export function serve(ready: ReadyMessage, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await shutdown();
    } finally {
      process.exit(0);
    }
  };
  process.on('message', (m) => {
    if (m === 'stop') void stop();
  });
  process.on('SIGTERM', () => void stop());
  // An orphaned service (the orchestrator died) must not linger.
  process.on('disconnect', () => void stop());
  process.send?.(ready);
}
