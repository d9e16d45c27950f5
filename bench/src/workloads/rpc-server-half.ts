/** The server half every RPC workload shares. */
import { createBenchHandlers } from '../harness/handlers.js';
import type { RpcServerImpl } from '../types.js';
import type { ServerHalf } from './workload.js';

/** Server half of every RPC workload: `serve()` with the shared handlers. */
export async function rpcServerHalf(impl: RpcServerImpl): Promise<ServerHalf> {
  const served = await impl.serve(createBenchHandlers());
  return { endpoint: served.endpoint, close: () => served.close() };
}
