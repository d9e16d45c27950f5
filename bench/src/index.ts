/**
 * What subject authors and other tooling may import from the bench package
 * (it is private; this is for `src/subjects/*.ts` and ad-hoc scripts).
 */

export { ChildHandle, launchServer, waitForServer } from './harness/child.js';
export { LatencyRecorder, type LatencySummary } from './harness/latency.js';
export { type CellResult, runCell } from './harness/run-cell.js';
export {
  type BenchMessage,
  codec,
  makeMessage,
  makePubMessage,
  type PubMessage,
  type StreamRequest,
  type UploadSummary,
} from './payload.js';
export type {
  BenchHandlers,
  ClientStreamClient,
  ClientStreamImpl,
  Closable,
  ConnectOptions,
  OnMessage,
  Publisher,
  PubSubImpl,
  RpcServerImpl,
  Served,
  ServerStreamClient,
  ServerStreamImpl,
  Subject,
  UnaryClient,
  UnaryImpl,
  UploadCall,
  UploadSink,
  WorkloadImpls,
  WorkloadName,
} from './types.js';
export { WORKLOAD_NAMES } from './types.js';
