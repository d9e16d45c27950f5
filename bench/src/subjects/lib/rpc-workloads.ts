/**
 * Subjects whose one RPC implementation (one `serve`, one client with
 * `unary`, `serverStream` and `clientStream`) serves every RPC workload, as
 * every peer but http-undici and xSMB itself do: their workload map, and the
 * whole subject of a peer without pub/sub.
 */
import {
  type ClientStreamClient,
  type ConnectOptions,
  type RpcServerImpl,
  type ServerStreamClient,
  type Subject,
  type UnaryClient,
  WORKLOAD_NAMES,
  type WorkloadImpls,
  type WorkloadName,
} from '../../types.js';

/** An RPC implementation that satisfies every RPC workload at once. */
export interface RpcImpl extends RpcServerImpl {
  /** Connects a client with all three call kinds, in the client child. */
  connect(
    endpoint: string,
    options: ConnectOptions,
  ): Promise<UnaryClient & ServerStreamClient & ClientStreamClient>;
}

/** Every workload but pub/sub. */
export type RpcWorkloadName = Exclude<WorkloadName, 'pubsub'>;

/**
 * `rpc` for every RPC workload, except those in `unsupported` (they print
 * `n/a`). Default: none left out.
 */
export function rpcWorkloads(
  rpc: RpcImpl,
  unsupported: readonly RpcWorkloadName[] = [],
): Partial<Pick<WorkloadImpls, RpcWorkloadName>> {
  const workloads: Partial<Record<RpcWorkloadName, RpcImpl>> = {};
  for (const name of WORKLOAD_NAMES) {
    if (name !== 'pubsub' && !unsupported.includes(name)) workloads[name] = rpc;
  }
  return workloads;
}

/** A peer subject that implements every RPC workload with `rpc`, and no pub/sub. */
export function rpcPeerSubject(name: string, description: string, rpc: RpcImpl): Subject {
  return { name, kind: 'peer', description, workloads: rpcWorkloads(rpc) };
}
