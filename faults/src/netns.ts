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
   * Drops `percent` of the packets entering and leaving the host over its
   * link, each packet drawn at random (`numgen random mod 100 < percent`).
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
 * and an nftables table with empty input and output chains.
 */
export async function createHost(): Promise<Host> {
  const n = ++hostCounter;
  if (n > 250) throw new RangeError('at most 250 hosts per process');
  const ns = `${NAMESPACE_PREFIX}${process.pid}-${n}`;
  const rootLink = `xf${process.pid % 1_000_000}r${n}`;
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
      const out = await runIn(ns, 'nft', ['list', 'table', 'inet', TABLE]);
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
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    },
  };

  // Counters of rule sets already flushed, so droppedPackets() is cumulative.
  let droppedBefore = 0;
  async function flushRules(): Promise<void> {
    droppedBefore = await host.droppedPackets();
    for (const chain of ['in', 'out']) {
      await runIn(ns, 'nft', ['flush', 'chain', 'inet', TABLE, chain]);
    }
  }
  async function setRules(rule: string): Promise<void> {
    await flushRules();
    // The script form takes the rule as nft's own grammar, unsplit.
    const script = [
      `add rule inet ${TABLE} in iifname "${HOST_LINK}" ${rule}`,
      `add rule inet ${TABLE} out oifname "${HOST_LINK}" ${rule}`,
    ].join('\n');
    await runIn(ns, 'nft', [script]);
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
    await run('ip', ['addr', 'add', `${peerAddress}/30`, 'dev', rootLink]);
    await run('ip', ['link', 'set', rootLink, 'up']);
    await runIn(ns, 'ip', ['addr', 'add', `${address}/30`, 'dev', HOST_LINK]);
    await runIn(ns, 'ip', ['link', 'set', HOST_LINK, 'up']);
    await runIn(ns, 'ip', ['link', 'set', 'lo', 'up']);
    await runIn(ns, 'nft', [
      [
        `add table inet ${TABLE}`,
        `add chain inet ${TABLE} in { type filter hook input priority 0; policy accept; }`,
        `add chain inet ${TABLE} out { type filter hook output priority 0; policy accept; }`,
      ].join('\n'),
    ]);
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

/**
 * Deletes the harness namespaces whose creating process is gone (a run that
 * was killed before its cleanup). Returns their names.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale: string[] = [];
  for (const name of await listHarnessNamespaces()) {
    const pid = Number(/^xsmbf-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue;
    if (pid === process.pid) continue;
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    stale.push(name);
  }
  return stale;
}
