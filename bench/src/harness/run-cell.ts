/**
 * Runs one cell of the table: one workload with one subject, server and
 * client each in a fresh child process. Never throws: failures and timeouts
 * become an `error` cell, and both children are stopped (killed if need be).
 */
import type { WorkloadName } from '../types.js';
import { commonMetrics } from '../workloads/common-metrics.js';
import type { Workload } from '../workloads/workload.js';
import { ChildHandle, waitForServer } from './child.js';
import { errorMessage } from './error-message.js';
import type { Params, SideReport } from './ipc.js';
import { withTimeout } from './time.js';

/** Time allowed for a child to start, load its subject and listen. */
const START_MS = 20_000;

/** The outcome of one cell. */
export interface CellResult {
  workload: WorkloadName;
  subject: string;
  status: 'ok' | 'error' | 'n/a';
  /** Set when status is `error`. */
  error?: string;
  /** Figures by key (the workload's metrics, `commonMetrics`, `server.*` values). */
  metrics: Record<string, number>;
  /** Raw report of the client process. */
  client?: SideReport;
  /** Raw report of the server process. */
  server?: SideReport;
  params: Params;
  /** Wall time of the whole cell, process start to exit, ms. */
  wallMs: number;
}

/** An external process the subject talks through (nats-server), measured over the client's window. */
export interface CellBroker {
  /** CPU time it has used so far, µs; undefined when it cannot be read. */
  cpuUs(): number | undefined;
}

/**
 * Runs `workload` for `subject` with `params`; see the module comment.
 * With `broker`, its CPU over the client's measured window is added as
 * `brokerCpuUs` (and per operation in the CPU figures).
 */
export async function runCell(
  workload: Workload,
  subject: string,
  params: Params,
  broker?: CellBroker,
): Promise<CellResult> {
  const t0 = performance.now();
  const base = { workload: workload.name, subject, params };
  const stepMs = workload.timeoutMs(params);
  // Both start at once so they load their modules in parallel.
  const server = ChildHandle.launch('server', subject, workload.name);
  const client = ChildHandle.launch('client', subject, workload.name);
  // Either child dying ends the cell at once, whichever one we are waiting on.
  const failed = Promise.race([server.failed(), client.failed()]);
  // Children exit at the end of every cell; that late rejection is expected.
  failed.catch(() => {});
  const step = <T>(promise: Promise<T>) => Promise.race([promise, failed]);
  const run = async () => {
    const endpoint = await step(waitForServer(server, params, { timeoutMs: START_MS }));
    client.send({ t: 'init', params, endpoint });
    await step(client.next('mark', stepMs));
    server.send({ t: 'mark' });
    await step(server.next('marked', 10_000));
    const brokerStart = broker?.cpuUs();
    client.send({ t: 'go' });
    const clientReport = (await step(client.next('report', stepMs))).report;
    const brokerEnd = broker?.cpuUs();
    if (brokerStart !== undefined && brokerEnd !== undefined) {
      clientReport.values.brokerCpuUs = brokerEnd - brokerStart;
    }
    server.send({ t: 'report' });
    const serverReport = (await step(server.next('report', stepMs))).report;
    return { client: clientReport, server: serverReport };
  };
  let result: Omit<CellResult, 'wallMs'>;
  try {
    const reports = await withTimeout(run(), START_MS + stepMs, 'cell');
    const metrics = {
      ...commonMetrics(reports),
      ...reports.client.values,
      ...prefixed('server.', reports.server.values),
      ...workload.summarize?.(reports),
    };
    result = { ...base, status: 'ok', metrics, client: reports.client, server: reports.server };
  } catch (error) {
    result = { ...base, status: 'error', error: errorMessage(error), metrics: {} };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
  return { ...result, wallMs: performance.now() - t0 };
}

function prefixed(prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [prefix + k, v]));
}
