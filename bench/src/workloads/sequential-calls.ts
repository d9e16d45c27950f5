/**
 * The client loop of the one-call-in-flight workloads (unary-latency,
 * unary-1mib): a checked warm-up, then timed, checked calls in the measured
 * window.
 */
import type { Params } from '../harness/ipc.js';
import { LatencyRecorder, type LatencySummary } from '../harness/latency.js';
import type { EchoMessage } from '../payload.js';
import type { UnaryClient } from '../types.js';
import { type ClientHalf, type Connector, oneCallClientHalf } from './with-client.js';
import { type ClientControl, param } from './workload.js';

/** The request and the reply check of one call. */
export interface CallMessages {
  /** The request of call `n`. */
  make(n: number): EchoMessage;
  /** Throws unless `reply` is the echo of request `n`. */
  check(reply: unknown, n: number): void;
}

/** What {@link sequentialCalls} measured. */
export interface SequentialCallsResult {
  /** Calls completed in the measured window. */
  done: number;
  /** Wall time of the measured calls, ms. */
  elapsedMs: number;
  /** Round-trip times of the measured calls, µs. */
  latency: LatencySummary;
}

/**
 * Up to `warmupCalls` calls within half of `maxMs`, then opens the measured
 * window for up to `calls` calls within `maxMs` (and the cell's deadline),
 * one in flight, each round trip timed; closes the window when done.
 */
export async function sequentialCalls(
  client: UnaryClient,
  p: Params,
  control: ClientControl,
  { make, check }: CallMessages,
): Promise<SequentialCallsResult> {
  const maxMs = param(p, 'maxMs');
  let n = 0;
  const warmEnd = performance.now() + maxMs / 2;
  for (let i = 0; i < param(p, 'warmupCalls') && performance.now() < warmEnd; i++, n++) {
    check(await client.unary(make(n)), n);
  }
  const calls = param(p, 'calls');
  const recorder = new LatencyRecorder(calls);
  await control.startMeasuring();
  const t0 = performance.now();
  const end = Math.min(t0 + maxMs, control.deadline);
  let done = 0;
  for (; done < calls && performance.now() < end; done++, n++) {
    const request = make(n);
    const t = performance.now();
    const reply = await client.unary(request);
    recorder.record((performance.now() - t) * 1000);
    check(reply, n);
  }
  const elapsedMs = performance.now() - t0;
  control.stopMeasuring();
  return { done, elapsedMs, latency: recorder.summary() };
}

/**
 * A client half that connects with one call in flight, runs
 * {@link sequentialCalls} and reports `values(result)` as its figures.
 */
export function sequentialClientHalf(
  messages: CallMessages,
  values: (result: SequentialCallsResult) => Record<string, number>,
): ClientHalf<Connector<UnaryClient>> {
  return oneCallClientHalf(async (client: UnaryClient, p, control) => {
    const result = await sequentialCalls(client, p, control, messages);
    return { ops: result.done, values: values(result) };
  });
}
