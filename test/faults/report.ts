import type { Tally } from './ledger.js';

/** One scenario's line in the table. */
export interface ScenarioReport extends Tally {
  name: string;
  /** Whether duplicates count as a failure (the path promises exactly-once). */
  exactlyOnce: boolean;
  /** Why the scenario failed; empty when it passed. */
  problems: string[];
  /** Observations that do not decide the result (e.g. what /health said). */
  notes: string[];
  seconds: number;
}

const reports: ScenarioReport[] = [];

/** Adds a scenario's figures to the table printed at the end of the run, and prints its line now. */
export function record(report: ScenarioReport): void {
  reports.push(report);
  process.stdout.write(`${table([report])}\n`);
}

const COLUMNS: [string, (r: ScenarioReport) => string][] = [
  ['scenario', (r) => r.name],
  ['published', (r) => String(r.published)],
  ['acked', (r) => String(r.acknowledged)],
  ['stored', (r) => String(r.stored)],
  ['lost', (r) => String(r.lost)],
  ['duplicated', (r) => `${r.duplicated}${r.exactlyOnce ? ' (1x)' : ''}`],
  ['unacked', (r) => String(r.unacknowledged)],
  ['refused', (r) => String(r.rejected)],
  ['s', (r) => r.seconds.toFixed(0)],
  ['result', (r) => (r.problems.length === 0 ? 'pass' : 'FAIL')],
];

/** The reports as a plain-text table, then each scenario's problems and notes. */
export function table(rows: readonly ScenarioReport[]): string {
  const widths = COLUMNS.map(([title, cell]) => Math.max(title.length, ...rows.map((r) => cell(r).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(COLUMNS.map(([title]) => title)), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(line(COLUMNS.map(([, cell]) => cell(r))));
  for (const r of rows) {
    for (const p of r.problems) out.push(`  ${r.name}: FAIL: ${p}`);
    for (const n of r.notes) out.push(`  ${r.name}: ${n}`);
  }
  return out.join('\n');
}

// A root-level hook: runs once after every scenario of every file.
after(() => {
  if (reports.length === 0) return;
  process.stdout.write(
    `\nFault injection: published / acknowledged / stored / lost / duplicated per scenario\n` +
      `(lost = acknowledged, not stored; duplicated = extra stored copies, a failure only on an ` +
      `exactly-once path (1x); unacked = never acknowledged after the fault was over; refused = HTTP 4xx)\n\n` +
      `${table(reports)}\n\n`,
  );
});
