/** The workloads, in run and print order. */
import type { WorkloadName } from '../types.js';
import { c2sStream } from './c2s-stream.js';
import { pubsub } from './pubsub.js';
import { s2cStream } from './s2c-stream.js';
import { streamMemory } from './stream-memory.js';
import { unary1Mib } from './unary-1mib.js';
import { unaryLatency } from './unary-latency.js';
import { unaryThroughput } from './unary-throughput.js';
import type { Workload } from './workload.js';

/** Every workload by name. */
export const WORKLOADS: { [N in WorkloadName]: Workload<N> } = {
  'unary-latency': unaryLatency,
  'unary-throughput': unaryThroughput,
  'unary-1mib': unary1Mib,
  's2c-stream': s2cStream,
  'c2s-stream': c2sStream,
  pubsub,
  'stream-memory': streamMemory,
};

export type {
  ClientControl,
  ClientOutcome,
  MetricSpec,
  RunMode,
  ServerHalf,
  Workload,
} from './workload.js';
