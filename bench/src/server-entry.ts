/**
 * Server child: `node --import tsx src/server-entry.ts <subject> <workload>`.
 * Runs the server half of one workload for one subject and reports its own
 * CPU and memory over IPC (see `harness/ipc.ts` for the sequence).
 */
import { ParentChannel } from './harness/channel.js';
import { ResourceMeter } from './harness/resources.js';
import { withTimeout } from './harness/time.js';
import { loadSubject } from './subjects/index.js';
import type { WorkloadImpls, WorkloadName } from './types.js';
import { WORKLOADS } from './workloads/index.js';
import type { ServerHalf } from './workloads/workload.js';

const channel = new ParentChannel();

async function startHalf<N extends WorkloadName>(
  name: N,
  impl: WorkloadImpls[N],
  params: Record<string, number>,
): Promise<ServerHalf> {
  return WORKLOADS[name].server(impl, params);
}

async function main(): Promise<void> {
  const [subjectName, workloadName] = process.argv.slice(2) as [string, WorkloadName];
  const workload = WORKLOADS[workloadName];
  if (!workload) throw new Error(`unknown workload '${workloadName}'`);
  const init = await channel.next('init', 30_000);
  const subject = await loadSubject(subjectName);
  const impl = subject.workloads[workloadName];
  if (!impl) throw new Error(`${subjectName} does not implement ${workloadName}`);

  const half = await startHalf(workloadName, impl, init.params);
  channel.onStop(() => half.close());
  const meter = new ResourceMeter(workloadName === 'stream-memory' ? 10 : 20);
  channel.send({ t: 'ready', endpoint: half.endpoint });

  await channel.next('mark', workload.timeoutMs(init.params) + 30_000);
  meter.start();
  half.start?.();
  channel.send({ t: 'marked' });

  await channel.next('report', workload.timeoutMs(init.params) + 30_000);
  const values = half.finish
    ? await withTimeout(half.finish(), workload.timeoutMs(init.params), 'server finish')
    : {};
  meter.stop();
  channel.send({ t: 'report', report: { ...meter.report(), ops: 0, values } });
}

main().catch((error: unknown) => channel.fail(error));
