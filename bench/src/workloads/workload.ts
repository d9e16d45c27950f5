/**
 * The shape of a workload: a server half (server child), a client half
 * (client child), the parameters both get, and the figures it shows.
 */
import type { Params, SideReport } from '../harness/ipc.js';
import type { WorkloadImpls, WorkloadName } from '../types.js';

/** `--quick` (the whole run under a minute) or the full run. */
export type RunMode = 'quick' | 'full';

/** The running server half of a workload. */
export interface ServerHalf {
  /** Where the client connects. */
  endpoint: string;
  /** Called when the measured window opens (pub/sub starts publishing here). */
  start?(): void;
  /** Resolves with server-side figures once the server's own part is done. */
  finish?(): Promise<Record<string, number>>;
  /** Closes everything the server half opened. */
  close(): Promise<void>;
}

/** What the client half may ask of the harness. */
export interface ClientControl {
  /**
   * Ends the warm-up: both processes open their CPU/memory window, then the
   * measured phase begins. Call exactly once.
   */
  startMeasuring(): Promise<void>;
  /** Closes the client's window; done automatically when the client half returns. */
  stopMeasuring(): void;
  /** `performance.now()` value by which the client half must have returned. */
  deadline: number;
}

/** What the client half returns. */
export interface ClientOutcome {
  /** Operations completed in the measured window (calls, messages). */
  ops: number;
  /** Workload-specific figures (percentiles, counts). */
  values: Record<string, number>;
}

/** Both sides' reports, for {@link Workload.summarize} and the metric formatters. */
export interface CellReports {
  client: SideReport;
  server: SideReport;
}

/** One figure a workload shows (one table row). */
export interface MetricSpec {
  /** Key in the cell's metrics. */
  key: string;
  /** Row label, with unit. */
  label: string;
  /** Which direction is better (shown as ↑ / ↓ and used to read ratios). */
  better: 'higher' | 'lower';
  /** Decimals shown (default 0). */
  digits?: number;
  /** Extra text after the value (e.g. the client+server split). */
  detail?(metrics: Readonly<Record<string, number>>): string;
}

/** A workload, generic in the implementation it needs from a subject. */
export interface Workload<N extends WorkloadName = WorkloadName> {
  name: N;
  /** One line: what is measured. */
  description: string;
  /** Parameters of each run mode, as both halves get them. */
  params: Readonly<Record<RunMode, Params>>;
  /** Hard cap for the measured part of one cell (process start has its own). */
  timeoutMs(params: Params): number;
  /** Rows shown in the table, in order. */
  metrics: readonly MetricSpec[];
  /** Server half, in the server child. */
  server(impl: WorkloadImpls[N], params: Params): Promise<ServerHalf>;
  /** Client half, in the client child. */
  client(
    impl: WorkloadImpls[N],
    endpoint: string,
    params: Params,
    control: ClientControl,
  ): Promise<ClientOutcome>;
  /** Figures that need both sides (e.g. received / sent). */
  summarize?(reports: CellReports): Record<string, number>;
}

/** Reads a parameter that must be present. */
export function param(params: Params, key: string): number {
  const value = params[key];
  if (value === undefined || !Number.isFinite(value)) throw new Error(`missing parameter ${key}`);
  return value;
}
