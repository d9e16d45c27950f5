/**
 * The request a client call's interceptors see, and the call's one
 * deadline: every form a caller may give (`timeoutMs`, an absolute
 * `deadline`, a parent handler's deadline, the client default) becomes one
 * absolute monotonic `deadlineAt`, fixed when the call starts.
 */

import type { CallOptions, ClientRequest } from './call.js';
import { Wire } from './call-wire.js';
import { type ContextValues, createContextValues } from './context-values.js';
import { now } from './deadline-queue.js';
import type { Metadata } from './metadata.js';
import type { MethodInfo } from './service.js';

/** The request object interceptors see; `timeoutMs` is a view of `deadlineAt`. */
class Request implements ClientRequest {
  readonly kind: string;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly descriptor: MethodInfo['descriptor'];
  constructor(
    info: MethodInfo,
    public message: unknown,
    public metadata: Metadata,
    public deadlineAt: number,
    public signal: AbortSignal | undefined,
    public waitForReady: boolean,
    readonly contextValues: ContextValues,
    readonly wire: Wire,
  ) {
    this.kind = info.descriptor.kind;
    this.service = info.service;
    this.method = info.method;
    this.path = info.path;
    this.descriptor = info.descriptor;
  }

  get timeoutMs(): number | undefined {
    return Number.isFinite(this.deadlineAt) ? Math.max(0, this.deadlineAt - now()) : undefined;
  }

  set timeoutMs(value: number | undefined) {
    this.deadlineAt = deadlineIn(value);
  }
}

/** The monotonic deadline `ms` from now (`Infinity` for none). */
function deadlineIn(ms: number | undefined): number {
  return ms === undefined || !Number.isFinite(ms)
    ? Number.POSITIVE_INFINITY
    : now() + Math.max(0, ms);
}

/** A client's defaults for its calls. */
export interface RequestDefaults {
  readonly timeoutMs: number;
  readonly metadata: Metadata | undefined;
  readonly waitForReady: boolean;
}

/** Builds the request of one call from its options and the client's defaults. */
export function buildRequest(
  info: MethodInfo,
  message: unknown,
  options: CallOptions | undefined,
  defaults: RequestDefaults,
): ClientRequest {
  let timeoutMs = options?.timeoutMs ?? defaults.timeoutMs;
  let signal = options?.signal;
  if (options?.deadline !== undefined)
    timeoutMs = Math.min(timeoutMs, options.deadline - Date.now());
  const parent = options?.parent;
  if (parent) {
    if (Number.isFinite(parent.deadline))
      timeoutMs = Math.min(timeoutMs, parent.deadline - Date.now());
    // One signal for the call: the caller's and the parent's cancellation.
    signal = signal ? AbortSignal.any([signal, parent.signal]) : parent.signal;
  }
  const base = defaults.metadata;
  const own = options?.metadata;
  const metadata: Metadata = base
    ? own
      ? { ...base, ...own }
      : { ...base }
    : own
      ? { ...own }
      : {};
  return new Request(
    info,
    message,
    metadata,
    deadlineIn(timeoutMs),
    signal,
    options?.waitForReady ?? defaults.waitForReady,
    options?.contextValues ?? createContextValues(),
    new Wire(),
  );
}

/** Absolute monotonic deadline of a request (`Infinity` without one). */
export function deadlineOf(request: ClientRequest): number {
  const at = request.deadlineAt;
  if (typeof at === 'number' && !Number.isNaN(at)) return at;
  // A request built by hand (not by a client) may carry only a budget.
  return deadlineIn(request.timeoutMs);
}

/**
 * The wire `timeoutMs` of a call sent at `at` with monotonic deadline
 * `deadlineAt`: the remaining budget as an integer; never 0 (which means "no
 * deadline"), so a budget under 1 ms is sent as 1. Callers check expiry first.
 */
export function wireTimeout(deadlineAt: number, at: number): number {
  return Math.max(1, Math.ceil(deadlineAt - at));
}
