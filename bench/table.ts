import type { ScenarioResult } from './result.js';
import type { Check } from './targets.js';

function show(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === '%' || unit === 'ms' || unit === 'MB' || unit === 'writes') return value.toFixed(1);
  if (unit === 'µs') return value.toFixed(2);
  return Math.round(value).toLocaleString('en');
}

/** The results as a Markdown table (medians; the runs in the last column), the scenarios' notes, then the targets. */
export function formatTable(results: readonly ScenarioResult[], checks: readonly Check[]): string {
  const lines = ['| Scenario | Figure | Median | Unit | Runs |', '| --- | --- | ---: | --- | --- |'];
  for (const result of results) {
    for (const figure of result.figures) {
      const runs = figure.runs.map((v) => show(v, figure.unit)).join(' / ');
      lines.push(
        `| ${result.id} | ${figure.name} | ${show(figure.median, figure.unit)} | ${figure.unit} | ${runs} |`,
      );
    }
  }
  const notes = results.flatMap((r) => r.notes.map((note) => `- ${r.id}: ${note}`));
  if (notes.length > 0) lines.push('', ...notes);
  if (checks.length > 0) {
    lines.push('', '| Target | Measured | Met |', '| --- | --- | --- |');
    for (const check of checks)
      lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}
