import { MQTT_SCENARIOS } from './readings.js';
import type { ScenarioResult } from './result.js';

/** One target of the benchmark issue and whether this run met it. */
export interface Check {
  target: string;
  measured: string;
  met: boolean;
}

function figure(results: readonly ScenarioResult[], id: string, name: string): number | undefined {
  return results.find((r) => r.id === id)?.figures.find((f) => f.name === name)?.median;
}

function maxRun(results: readonly ScenarioResult[], id: string, name: string): number | undefined {
  const runs = results.find((r) => r.id === id)?.figures.find((f) => f.name === name)?.runs;
  return runs === undefined ? undefined : Math.max(...runs);
}

/** Every run of every figure of scenario `id` whose name matches. */
function runsMatching(results: readonly ScenarioResult[], id: string, pattern: RegExp): number[] {
  return (results.find((r) => r.id === id)?.figures ?? [])
    .filter((f) => pattern.test(f.name))
    .flatMap((f) => f.runs);
}

/** The largest absolute value of those runs; undefined when the scenario did not run. */
function worstOf(results: readonly ScenarioResult[], id: string, pattern: RegExp): number | undefined {
  const runs = runsMatching(results, id, pattern);
  return runs.length === 0 ? undefined : Math.max(...runs.map(Math.abs));
}

/** Median daqd CPU per reading of scenario `id` over 1a's; undefined unless both ran. */
function cpuRatio(results: readonly ScenarioResult[], id: string): number | undefined {
  const own = figure(results, id, 'daqd CPU per 1,000 readings');
  const one = figure(results, '1a', 'daqd CPU per 1,000 readings');
  return own === undefined || one === undefined ? undefined : own / one;
}

/**
 * Scenario 7's smallest instance share in any run, as a percentage of an even share (100% = exactly
 * 1/N of the readings).
 */
function smallestShare(results: readonly ScenarioResult[]): number | undefined {
  const figures = (results.find((r) => r.id === '7')?.figures ?? []).filter((f) =>
    / share of instance /.test(f.name),
  );
  if (figures.length === 0) return undefined;
  return Math.min(
    ...figures.flatMap((f) => {
      const n = Number(/^N=(\d+)/.exec(f.name)?.[1]);
      return f.runs.map((share) => share * n);
    }),
  );
}

/**
 * Size of scenario 3's CSV document: an export that held its rows, or the document, would grow daqd's
 * RSS by at least this much; a streamed one stays below it whatever the row count.
 */
function csvMegabytes(results: readonly ScenarioResult[]): number {
  return figure(results, '3', 'CSV document size') ?? 0;
}

/**
 * The targets of the issue, checked against the medians; peak RSS while ingesting and loss against the
 * worst run.
 */
export function checkTargets(results: readonly ScenarioResult[]): Check[] {
  const checks: Check[] = [];
  const add = (target: string, value: number | undefined, unit: string, met: (v: number) => boolean) => {
    if (value === undefined) return;
    checks.push({
      target,
      measured: `${value.toFixed(unit === '×' ? 2 : unit === '%' || unit === 'MB' ? 1 : 0)} ${unit}`,
      met: met(value),
    });
  };
  for (const id of MQTT_SCENARIOS) {
    add(
      `${id}: end to end ≥ 60% of the slower baseline`,
      figure(results, id, 'ratio to slower baseline'),
      '%',
      (v) => v >= 60,
    );
    add(`${id}: no loss`, maxRun(results, id, 'lost or duplicated readings'), 'readings', (v) => v === 0);
    add(`${id}: daqd RSS ≤ 150 MB`, maxRun(results, id, 'daqd peak RSS'), 'MB', (v) => v <= 150);
  }
  add(
    "1b: daqd CPU per reading ≤ 1.2× 1a's (medians of the same run)",
    cpuRatio(results, '1b'),
    '×',
    (v) => v <= 1.2,
  );
  add(
    '6: HTTP ingest with authentication ≥ 90% of without',
    figure(results, '6', 'throughput with authentication, % of without'),
    '%',
    (v) => v >= 90,
  );
  add(
    '2: bulk ingest ≥ 100,000 readings/s',
    figure(results, '2', 'bulk POST readings/s (1,000 per request)'),
    'readings/s',
    (v) => v >= 100_000,
  );
  add(
    '2: single POSTs ≥ 5,000 requests/s',
    figure(results, '2', 'single POST requests/s (64 connections)'),
    'req/s',
    (v) => v >= 5000,
  );
  add('3: CSV export ≥ 500,000 rows/s', figure(results, '3', 'CSV rows/s'), 'rows/s', (v) => v >= 500_000);
  add(
    '3: CSV export with flat memory (RSS growth below the size of the CSV document)',
    figure(results, '3', 'CSV daqd RSS growth over idle'),
    'MB',
    (v) => v < csvMegabytes(results),
  );
  add(
    '5: line protocol through daqd /write ≥ 50% of InfluxDB /write',
    figure(results, '5', 'ratio to InfluxDB /write'),
    '%',
    (v) => v >= 50,
  );
  add('5: no loss', maxRun(results, '5', 'readings not stored'), 'readings', (v) => v === 0);
  add(
    '7: shared subscription, 1–3 instances: no loss, no duplicates (InfluxDB holds what was published)',
    worstOf(results, '7', /lost or duplicated/),
    'readings',
    (v) => v === 0,
  );
  add(
    "7: every reading stored exactly once (the instances' stored counters add up to what was published)",
    worstOf(results, '7', /stored by the instances − published/),
    'readings',
    (v) => v === 0,
  );
  add(
    '7: load spread: every instance stores at least half of an even share (smallest share, % of 1/N)',
    smallestShare(results),
    '%',
    (v) => v >= 50,
  );
  // Combined throughput against N=1 is reported, not checked: on two cores the broker, influxd, the
  // publisher and every instance share the same CPUs, so more instances cannot be faster here.
  // Not a target of the issue, but daqd's promise in every mode: embedded mode loses nothing either.
  add('4: no loss', maxRun(results, '4', '1a lost or duplicated readings'), 'readings', (v) => v === 0);
  add(
    '4: no loss at a moderate rate',
    maxRun(results, '4', '1a latency stage: readings not stored'),
    'readings',
    (v) => v === 0,
  );
  add(
    '4: no duplicates at a moderate rate',
    maxRun(results, '4', '1a latency stage: readings stored twice'),
    'readings',
    (v) => v === 0,
  );
  return checks;
}
