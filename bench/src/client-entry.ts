/**
 * Client child: `node --import tsx src/client-entry.ts <subject> <workload>`.
 * Runs the client half of one workload for one subject against the endpoint
 * the parent sends, and reports its figures, CPU and memory over IPC.
 */
import { ParentChannel } from './harness/channel.js';
import { ResourceMeter } from './harness/resources.js';
import { loadSubject } from './subjects/index.js';
import type { WorkloadImpls, WorkloadName } from './types.js';
import { WORKLOADS } from './workloads/index.js';
import type { ClientControl, ClientOutcome } from './workloads/workload.js';

const channel = new ParentChannel();

async function runHalf<N extends WorkloadName>(
  name: N,
  impl: WorkloadImpls[N],
  endpoint: string,
  params: Record<string, number>,
  control: ClientControl,
): Promise<ClientOutcome> {
  return WORKLOADS[name].client(impl, endpoint, params, control);
}

async function main(): Promise<void> {
  const [subjectName, workloadName] = process.argv.slice(2) as [string, WorkloadName];
  const workload = WORKLOADS[workloadName];
  if (!workload) throw new Error(`unknown workload '${workloadName}'`);
  // Load while the server starts: the parent sends init once the server is ready.
  const subject = await loadSubject(subjectName);
  const impl = subject.workloads[workloadName];
  if (!impl) throw new Error(`${subjectName} does not implement ${workloadName}`);
  const init = await channel.next('init', 60_000);
  if (init.endpoint === undefined) throw new Error('client init without an endpoint');

  const timeoutMs = workload.timeoutMs(init.params);
  const meter = new ResourceMeter(workloadName === 'stream-memory' ? 10 : 20);
  let marked = false;
  const control: ClientControl = {
    deadline: performance.now() + timeoutMs,
    async startMeasuring() {
      if (marked) throw new Error('startMeasuring called twice');
      marked = true;
      channel.send({ t: 'mark' });
      await channel.next('go', 30_000);
      meter.start();
    },
    stopMeasuring: () => meter.stop(),
  };
  const outcome = await runHalf(workloadName, impl, init.endpoint, init.params, control);
  if (!marked) throw new Error(`${workloadName} client never called startMeasuring`);
  meter.stop();
  channel.send({ t: 'report', report: { ...meter.report(), ...outcome } });
}

main().catch((error: unknown) => channel.fail(error));
