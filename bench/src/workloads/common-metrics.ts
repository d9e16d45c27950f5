/**
 * The figures every cell has (rate, CPU per operation, memory peaks) and the
 * table rows the workloads share to show them.
 */
import type { CellReports, MetricSpec } from './workload.js';

const round1 = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(1));

/** Row: CPU time of client + server per operation, with the split. */
export function cpuMetric(per: string): MetricSpec {
  return {
    key: 'cpuUsPerOp',
    label: `CPU µs/${per} (client+server)`,
    better: 'lower',
    digits: 1,
    // A broker's share (nats-server) is in the total and shown after the split.
    detail: (m) =>
      ` (${round1(m.cpuClientUsPerOp)}+${round1(m.cpuServerUsPerOp)})` +
      (m.cpuBrokerUsPerOp === undefined ? '' : ` + ${round1(m.cpuBrokerUsPerOp)} server`),
  };
}

/** Row: a latency percentile (`p50`, `p99`, …) in µs; `label` defaults to `<key> µs`. */
export function percentileMetric(key: string, label = `${key} µs`): MetricSpec {
  return { key, label, better: 'lower', digits: 0 };
}

/** Row: operations per second measured by the client. */
export function rateMetric(label: string): MetricSpec {
  return { key: 'opsPerSec', label, better: 'higher' };
}

/**
 * Figures every cell gets from the two reports: rate, CPU per operation,
 * memory peaks. Workload-specific values are merged on top.
 */
export function commonMetrics({ client, server }: CellReports): Record<string, number> {
  const ops = client.ops;
  const perOp = (us: number) => (ops > 0 ? us / ops : Number.NaN);
  const clientCpu = client.cpuUserUs + client.cpuSystemUs;
  const serverCpu = server.cpuUserUs + server.cpuSystemUs;
  // An external broker (nats-server) the messages cross: what a user pays for it too.
  const brokerCpu = client.values.brokerCpuUs;
  return {
    ops,
    elapsedMs: client.elapsedMs,
    opsPerSec: client.elapsedMs > 0 ? (ops * 1000) / client.elapsedMs : Number.NaN,
    cpuUsPerOp: perOp(clientCpu + serverCpu + (brokerCpu ?? 0)),
    ...(brokerCpu === undefined ? {} : { cpuBrokerUsPerOp: perOp(brokerCpu) }),
    cpuClientUsPerOp: perOp(clientCpu),
    cpuServerUsPerOp: perOp(serverCpu),
    clientCpuUtil: client.elapsedMs > 0 ? clientCpu / 1000 / client.elapsedMs : Number.NaN,
    serverCpuUtil: server.elapsedMs > 0 ? serverCpu / 1000 / server.elapsedMs : Number.NaN,
    clientRssStartMiB: client.rssStartMiB,
    clientPeakRssMiB: client.peakRssMiB,
    clientPeakHeapMiB: client.peakHeapMiB,
    clientPeakExternalMiB: client.peakExternalMiB,
    serverRssStartMiB: server.rssStartMiB,
    serverPeakRssMiB: server.peakRssMiB,
    serverPeakHeapMiB: server.peakHeapMiB,
    serverPeakExternalMiB: server.peakExternalMiB,
  };
}
