/**
 * Renders results as Markdown tables (readable in a terminal, pasteable
 * into docs): absolute figures per subject, then ratios.
 */
import type { Subject, WorkloadName } from '../types.js';
import type { MetricSpec, Workload } from '../workloads/workload.js';
import type { CellResult } from './run-cell.js';

const ERROR_CELL_CHARS = 28;

/** Formats a number with thousands separators and `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  // Large figures read better without decimals, small ones need them.
  const d = Math.abs(value) >= 1000 ? 0 : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function renderTable(header: string[], rows: string[][], rightAlignFrom: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells
      .map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= rightAlignFrom ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

type CellLookup = (workload: WorkloadName, subject: string) => CellResult | undefined;

function lookup(cells: readonly CellResult[]): CellLookup {
  const byKey = new Map(cells.map((c) => [`${c.workload}\u0000${c.subject}`, c]));
  return (w, s) => byKey.get(`${w}\u0000${s}`);
}

function valueCell(cell: CellResult | undefined, metric: MetricSpec, first: boolean): string {
  if (!cell) return '';
  if (cell.status === 'n/a') return 'n/a';
  if (cell.status === 'error') {
    if (!first) return '';
    const text = `error: ${cell.error ?? '?'}`.split('\n')[0]!;
    return text.length > ERROR_CELL_CHARS ? `${text.slice(0, ERROR_CELL_CHARS - 1)}…` : text;
  }
  const value = cell.metrics[metric.key];
  if (value === undefined) return '?';
  return formatNumber(value, metric.digits ?? 0) + (metric.detail?.(cell.metrics) ?? '');
}

/**
 * One row per workload metric: the workload's name (on its first metric's
 * row), the metric's label with ↑ or ↓, then `cellsOf(...)`; rows for which
 * `cellsOf` returns `null` are left out.
 */
function metricRows(
  workloads: readonly Workload[],
  cellsOf: (workload: Workload, metric: MetricSpec, first: boolean) => string[] | null,
): string[][] {
  return workloads.flatMap((workload) =>
    workload.metrics.flatMap((metric, i) => {
      const cells = cellsOf(workload, metric, i === 0);
      if (cells === null) return [];
      const label = `${metric.label} ${metric.better === 'higher' ? '↑' : '↓'}`;
      return [[i === 0 ? workload.name : '', label, ...cells]];
    }),
  );
}

/** The main table: one row per workload metric, one column per subject. */
export function renderResults(
  workloads: readonly Workload[],
  subjects: readonly Subject[],
  cells: readonly CellResult[],
): string {
  const find = lookup(cells);
  const rows = metricRows(workloads, (workload, metric, first) =>
    subjects.some((s) => find(workload.name, s.name))
      ? subjects.map((s) => valueCell(find(workload.name, s.name), metric, first))
      : null,
  );
  return renderTable(['workload', 'metric', ...subjects.map((s) => s.name)], rows, 2);
}

/** A ratio column: numerator subject ÷ denominator subject. */
export interface RatioColumn {
  numerator: string;
  denominator: string;
}

/**
 * The ratio columns: each xSMB subject against every peer; with no xSMB
 * subject yet, every other subject against the reference peer.
 */
export function ratioColumns(subjects: readonly Subject[], reference: string): RatioColumn[] {
  const xsmb = subjects.filter((s) => s.kind === 'xsmb');
  const peers = subjects.filter((s) => s.kind === 'peer');
  if (xsmb.length > 0) {
    return xsmb.flatMap((x) => peers.map((p) => ({ numerator: x.name, denominator: p.name })));
  }
  return subjects
    .filter((s) => s.name !== reference)
    .map((s) => ({ numerator: s.name, denominator: reference }));
}

/** The ratio table: numerator / denominator for every metric both have. */
export function renderRatios(
  workloads: readonly Workload[],
  columns: readonly RatioColumn[],
  cells: readonly CellResult[],
): string {
  const find = lookup(cells);
  const rows = metricRows(workloads, (workload, metric) => {
    const values = columns.map(({ numerator, denominator }) => {
      const a = find(workload.name, numerator);
      const b = find(workload.name, denominator);
      const x = a?.status === 'ok' ? a.metrics[metric.key] : undefined;
      const y = b?.status === 'ok' ? b.metrics[metric.key] : undefined;
      if (x === undefined || y === undefined || !Number.isFinite(x / y)) return '';
      return `${formatNumber(x / y, 2)}×`;
    });
    return values.some((v) => v !== '') ? values : null;
  });
  return renderTable(
    ['workload', 'metric', ...columns.map((c) => `${c.numerator} ÷ ${c.denominator}`)],
    rows,
    2,
  );
}

/** The full error messages, one per failed cell. */
export function renderErrors(cells: readonly CellResult[]): string {
  return cells
    .filter((c) => c.status === 'error')
    .map((c) => `- ${c.workload} / ${c.subject}: ${c.error ?? '?'}`)
    .join('\n');
}
