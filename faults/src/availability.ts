/**
 * Whether this machine can build hosts: Linux, root, `ip netns`, veth
 * pairs, nftables and tc. The suite asks once and skips with the reason
 * when the answer is no (a laptop without root, a container without
 * CAP_NET_ADMIN), instead of failing on the first command.
 */

import { run } from './command.js';
import { createHost, removeStaleNamespaces } from './netns.js';

/** The answer of {@link checkFaultLab}. */
export type FaultLabStatus =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

let cached: Promise<FaultLabStatus> | undefined;

async function probe(): Promise<FaultLabStatus> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  for (const [tool, args, pkg] of [
    ['ip', ['-V'], 'iproute2'],
    ['nft', ['--version'], 'nftables'],
    ['tc', ['-V'], 'iproute2'],
  ] as const) {
    try {
      await run(tool, args);
    } catch {
      return { ok: false, reason: `\`${tool}\` is missing (apt-get install ${pkg})` };
    }
  }
  try {
    await removeStaleNamespaces();
    // A whole host, rules included: a kernel without nf_tables or veth fails here.
    const host = await createHost();
    try {
      await host.loss(1);
      await host.heal();
    } finally {
      await host.destroy();
    }
  } catch (error) {
    return { ok: false, reason: `cannot build a host: ${(error as Error).message}` };
  }
  return { ok: true };
}

/**
 * Probes once per process (namespaces, a veth pair, an nftables rule) and
 * removes namespaces left by killed earlier runs. Resolves with `ok: false`
 * and the reason when the fault suite cannot run here.
 */
export function checkFaultLab(): Promise<FaultLabStatus> {
  cached ??= probe();
  return cached;
}
