/**
 * Hosts on one machine: each is a Linux network namespace joined to the root
 * namespace by a veth pair with its own /30 of 10.x addresses. nftables in
 * the host's namespace drops packets (at random, or all of them for a
 * partition), `tc tbf` limits its bandwidth, and its link can go down.
 *
 * Names carry the creating process id (`xsmbf-<pid>-<n>`), so a run removes
 * the namespaces that a killed earlier run left behind without touching
 * those of a run still alive.
 */

import { run, runIn } from './command.js';

/** Prefix of every namespace the harness creates. */
export const NAMESPACE_PREFIX = 'xsmbf-';

/** The nftables table the harness owns inside a host's namespace. */
const TABLE = 'xsmbf';

/** Name of the host side of every veth pair (namespaces keep names apart). */
const HOST_LINK = 'veth0';

/** A host: a network namespace with one link to the root namespace. */
export interface Host {
  /** The namespace's name (`xsmbf-<pid>-<n>`). */
  readonly ns: string;
  /** The host's address, reachable from the root namespace. */
  readonly address: string;
  /** The root namespace's address on the same link. */
  readonly peerAddress: string;
  /** The root namespace's end of the veth pair. */
  readonly rootLink: string;
  /** Runs a command inside the namespace; resolves with its stdout. */
  exec(file: string, ...args: string[]): Promise<string>;
  /**
   * Drops `percent` of the packets crossing the host's link, each way, each
   * packet drawn at random (`numgen random mod 100 < percent`, in the
   * input hook of the receiving end).
   * Replaces any loss or partition in force.
   */
  loss(percent: number): Promise<void>;
  /** Drops every packet of the link, both ways (100% loss). */
  partition(): Promise<void>;
  /** Removes loss and partition rules. */
  heal(): Promise<void>;
  /** Packets the harness's rules dropped so far (both directions). */
  droppedPackets(): Promise<number>;
  /**
   * Limits the rate the host sends at (`tc qdisc ... tbf`), e.g. `'8mbit'`;
   * `undefined` removes the limit.
   */
  limitRate(rate: string | undefined): Promise<void>;
  /** Takes the link down (`false`) or up again (`true`), on both ends. */
  setLink(up: boolean): Promise<void>;
  /** TCP segments the host retransmitted so far (`/proc/net/snmp`). */
  retransmittedSegments(): Promise<number>;
  /** Deletes the namespace and its link. Safe to call twice. */
  destroy(): Promise<void>;
}

let hostCounter = 0;

/** The second octet of this process's subnets: one block per process id. */
function subnetBlock(): number {
  return 20 + (process.pid % 200);
}

/**
 * Creates a host: a fresh namespace, a veth pair to the root namespace with
 * addresses `10.<block>.<n>.1` (root side) and `.2` (host side), loopback up,
 * and an nftables input chain on each end (the root end's matches this
 * host's link only).
 */
export async function createHost(): Promise<Host> {
  const n = ++hostCounter;
  if (n > 250) throw new RangeError('at most 250 hosts per process');
  const ns = `${NAMESPACE_PREFIX}${process.pid}-${n}`;
  const rootLink = `xf${process.pid % 1_000_000}r${n}`;
  const rootTable = `${TABLE}_${process.pid}_${n}`;
  const prefix = `10.${subnetBlock()}.${n}`;
  const peerAddress = `${prefix}.1`;
  const address = `${prefix}.2`;
  let destroyed = false;

  const host: Host = {
    ns,
    address,
    peerAddress,
    rootLink,
    exec: (file, ...args) => runIn(ns, file, args),
    async loss(percent) {
      if (!(percent >= 0 && percent <= 100)) throw new RangeError('percent must be 0-100');
      await setRules(`numgen random mod 100 < ${Math.round(percent)} counter drop`);
    },
    async partition() {
      await setRules('counter drop');
    },
    async heal() {
      await flushRules();
    },
    async droppedPackets() {
      const out =
        (await runIn(ns, 'nft', ['list', 'table', 'inet', TABLE])) +
        (await run('nft', ['list', 'table', 'inet', rootTable]));
      let total = 0;
      for (const m of out.matchAll(/counter packets (\d+)/g)) total += Number(m[1]);
      return total + droppedBefore;
    },
    async limitRate(rate) {
      await runIn(ns, 'tc', ['qdisc', 'del', 'dev', HOST_LINK, 'root']).catch(() => undefined);
      if (rate === undefined) return;
      await runIn(ns, 'tc', [
        'qdisc',
        'add',
        'dev',
        HOST_LINK,
        'root',
        'tbf',
        'rate',
        rate,
        'burst',
        '32kbit',
        'latency',
        '400ms',
      ]);
    },
    async setLink(up) {
      const state = up ? 'up' : 'down';
      await runIn(ns, 'ip', ['link', 'set', HOST_LINK, state]);
      await run('ip', ['link', 'set', rootLink, state]);
      if (up) await run('ip', ['addr', 'replace', `${peerAddress}/30`, 'dev', rootLink]);
    },
    async retransmittedSegments() {
      const snmp = await runIn(ns, 'cat', ['/proc/net/snmp']);
      const lines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
      const names = lines[0]?.split(/\s+/) ?? [];
      const values = lines[1]?.split(/\s+/) ?? [];
      return Number(values[names.indexOf('RetransSegs')] ?? Number.NaN);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      // The veth pair dies with the namespace, but only once the kernel gets
      // to it: deleting the root end first frees the subnet at once.
      await run('ip', ['link', 'del', rootLink]).catch(() => undefined);
      await run('nft', ['delete', 'table', 'inet', rootTable]).catch(() => undefined);
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    },
  };

  // Counters of rule sets already flushed, so droppedPackets() is cumulative.
  let droppedBefore = 0;
  async function flushRules(): Promise<void> {
    droppedBefore = await host.droppedPackets();
    await runIn(ns, 'nft', ['flush', 'chain', 'inet', TABLE, 'in']);
    await run('nft', ['flush', 'chain', 'inet', rootTable, 'in']);
  }
  async function setRules(rule: string): Promise<void> {
    await flushRules();
    // Drops happen where packets arrive, on each end: the sender's TCP learns
    // of them only by the missing acknowledgement, as on a real link (an
    // output drop would be reported to the sending socket at once).
    await runIn(ns, 'nft', [`add rule inet ${TABLE} in iifname "${HOST_LINK}" ${rule}`]);
    await run('nft', [`add rule inet ${rootTable} in iifname "${rootLink}" ${rule}`]);
  }

  try {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', [
      'link',
      'add',
      rootLink,
      'type',
      'veth',
      'peer',
      'name',
      HOST_LINK,
      'netns',
      ns,
    ]);
    // One TCP segment per packet, as on a wire: with segmentation offload a
    // veth carries 64 KiB "packets", and a drop would cost 40 segments at once.
    await run('ip', ['link', 'set', rootLink, 'gso_max_segs', '1']);
    await runIn(ns, 'ip', ['link', 'set', HOST_LINK, 'gso_max_segs', '1']);
    await run('ip', ['addr', 'add', `${peerAddress}/30`, 'dev', rootLink]);
    await run('ip', ['link', 'set', rootLink, 'up']);
    await runIn(ns, 'ip', ['addr', 'add', `${address}/30`, 'dev', HOST_LINK]);
    await runIn(ns, 'ip', ['link', 'set', HOST_LINK, 'up']);
    await runIn(ns, 'ip', ['link', 'set', 'lo', 'up']);
    const chain = 'in { type filter hook input priority 0; policy accept; }';
    await runIn(ns, 'nft', [`add table inet ${TABLE}\nadd chain inet ${TABLE} ${chain}`]);
    // The root namespace's table matches this host's link only.
    await run('nft', [`add table inet ${rootTable}\nadd chain inet ${rootTable} ${chain}`]);
  } catch (error) {
    await host.destroy();
    throw error;
  }
  return host;
}

/** Whether process `pid` is alive (signal 0 probes without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces whose names start with {@link NAMESPACE_PREFIX}. */
export async function listHarnessNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}

/** The process id in a harness name (`xsmbf-<pid>-<n>`, `xsmbf_<pid>_<n>`), if any. */
function creatorOf(name: string): number | undefined {
  const pid = Number(/^xsmbf[-_](\d+)[-_]/.exec(name)?.[1]);
  return Number.isInteger(pid) ? pid : undefined;
}

/** Whether `name` was made by a process that is gone. */
function isStale(name: string): boolean {
  const pid = creatorOf(name);
  return pid !== undefined && pid !== process.pid && !alive(pid);
}

/**
 * Deletes the harness namespaces (and root-namespace nftables tables) whose
 * creating process is gone: a run that was killed before its cleanup.
 * Returns the namespaces' names.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale = (await listHarnessNamespaces()).filter(isStale);
  for (const name of stale) await run('ip', ['netns', 'del', name]).catch(() => undefined);
  const tables = (await run('nft', ['list', 'tables']))
    .split('\n')
    .map((line) => /^table inet (xsmbf_\S+)$/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined && isStale(name));
  for (const table of tables)
    await run('nft', ['delete', 'table', 'inet', table]).catch(() => undefined);
  return stale;
}
