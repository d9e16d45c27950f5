/**
 * Messages between the parent (orchestrator) and the server / client
 * children, over Node's IPC channel (JSON serialization).
 *
 * Sequence for one cell:
 * ```
 * parent → server  init            server → parent  ready {endpoint}
 * parent → client  init {endpoint} client → parent  mark      (warm-up done)
 * parent → server  mark            server → parent  marked    (server window open)
 * parent → client  go              client → parent  report    (client window closed)
 * parent → server  report          server → parent  report
 * parent → both    stop            (children close and exit; killed if they do not)
 * ```
 */
import type { ResourceReport } from './resources.js';

/** Workload parameters: plain numbers, the same in both children. */
export type Params = Readonly<Record<string, number>>;

/** One side's measurements. */
export interface SideReport extends ResourceReport {
  /** Operations completed in the window (client side; 0 on the server). */
  ops: number;
  /** Workload-specific figures. */
  values: Record<string, number>;
}

/** Parent → child. */
export type ToChild =
  | { t: 'init'; params: Params; endpoint?: string }
  | { t: 'mark' }
  | { t: 'go' }
  | { t: 'report' }
  | { t: 'stop' };

/** Child → parent. */
export type FromChild =
  | { t: 'ready'; endpoint: string }
  | { t: 'mark' }
  | { t: 'marked' }
  | { t: 'report'; report: SideReport }
  | { t: 'error'; message: string };

/** The role of a child process. */
export type Role = 'server' | 'client';
