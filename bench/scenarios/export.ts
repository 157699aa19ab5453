import http from 'node:http';
import { DaqdProcess, REALM } from '../daqd.js';
import type { InfluxClient } from '../influx-client.js';
import { ProcessMeter, rssMb } from '../proc.js';
import { readingFields } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import type { InfluxService, MosquittoService } from '../services.js';

/** What the export scenario runs against. */
export interface ExportBenchContext {
  quick: boolean;
  runs: number;
  mosquitto: MosquittoService;
  influx: InfluxService;
  log: (line: string) => void;
}

/** Where the exported node's points are, and their time range. */
export interface ExportSet {
  network: string;
  node: string;
  count: number;
  /** First and last point, ns. */
  from: bigint;
  to: bigint;
}

/** Spacing of the exported points: 10 ms (1,000,000 points span under three hours). */
export const EXPORT_STEP_NS = 10_000_000n;

/** Points of the export set, newest ending a minute ago: `<count>` of node `node-1`, readings 0…count-1. */
export function exportSet(count: number, network = 'export'): ExportSet {
  const to = (BigInt(Date.now()) - 60_000n) * 1_000_000n;
  const from = to - BigInt(count - 1) * EXPORT_STEP_NS;
  return { network, node: 'node-1', count, from, to };
}

/** Writes the export set straight to InfluxDB /write (setup, not measured). */
export async function writeExportSet(influx: InfluxClient, set: ExportSet): Promise<void> {
  const database = `${REALM}_${set.network}`;
  await influx.query(`CREATE DATABASE "${database}"`);
  const batch = 10_000;
  let next = 0;
  const worker = async () => {
    while (next < set.count) {
      const start = next;
      next = Math.min(set.count, next + batch);
      const lines: string[] = [];
      for (let i = start; i < next; i++) {
        lines.push(`gw_node_1_sensors ${readingFields(i)} ${set.from + BigInt(i) * EXPORT_STEP_NS}`);
      }
      await influx.write(database, lines.join('\n'), 'n');
    }
  };
  await Promise.all([worker(), worker()]);
}

/** ISO 8601 of nanoseconds (millisecond precision; the set's points sit on whole 10 ms). */
export function iso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** GETs a URL and reads the whole answer: status, bytes, line breaks and seconds taken. */
export function download(
  url: string,
): Promise<{ status: number; bytes: number; lines: number; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, bytes, lines, seconds: (performance.now() - started) / 1000 }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The export URLs of daqd for the set, as `.csv` / `.json`. */
export function exportUrl(httpPort: number, set: ExportSet, suffix: string): string {
  const range = `from=${encodeURIComponent(iso(set.from))}&to=${encodeURIComponent(iso(set.to))}`;
  return `http://127.0.0.1:${httpPort}/api/${REALM}/${set.network}/gw/${set.node}/data.${suffix}?${range}`;
}

/**
 * Measures CSV and JSON exports of the set from a running daqd (rows/s, CPU, peak RSS over the
 * RSS before), adding the figures under `prefix`.
 */
export async function measureExports(
  daqd: DaqdProcess,
  set: ExportSet,
  figures: FigureSet,
  log: (line: string) => void,
  label: string,
): Promise<Record<'csv' | 'json', number>> {
  const rates = { csv: 0, json: 0 };
  for (const suffix of ['csv', 'json'] as const) {
    const before = rssMb(daqd.pid);
    const meter = new ProcessMeter(daqd.pid);
    const answer = await download(exportUrl(daqd.httpPort, set, suffix));
    const cpu = meter.cpu();
    const peak = meter.peak();
    // CSV: a header line and one line per row; JSON: `[`, one line per row, `]`.
    const rows = suffix === 'csv' ? answer.lines - 1 : answer.lines - 2;
    if (answer.status !== 200 || rows !== set.count) {
      throw new Error(`${label} ${suffix}: HTTP ${answer.status}, ${rows} rows instead of ${set.count}`);
    }
    rates[suffix] = rows / answer.seconds;
    figures.add(`${suffix.toUpperCase()} rows/s`, 'rows/s', rates[suffix]);
    figures.add(`${suffix.toUpperCase()} daqd CPU per 1,000 rows`, 'ms', (cpu / rows) * 1000);
    figures.add(`${suffix.toUpperCase()} daqd peak RSS`, 'MB', peak);
    figures.add(`${suffix.toUpperCase()} daqd RSS growth over idle`, 'MB', peak - before);
    figures.add(`${suffix.toUpperCase()} document size`, 'MB', answer.bytes / 2 ** 20);
    log(
      `  ${label} ${suffix}: ${Math.round(rows / answer.seconds).toLocaleString('en')} rows/s, ${(answer.bytes / 1e6).toFixed(0)} MB, peak RSS ${peak.toFixed(0)} MB (idle ${before.toFixed(0)} MB)`,
    );
  }
  return rates;
}

/**
 * Scenario 3: export of one node's points (1,000,000 in a full run) as CSV and JSON through daqd,
 * against the database's own answer to the same query read raw (chunked /query).
 */
export async function exportScenario(ctx: ExportBenchContext): Promise<ScenarioResult> {
  const figures = new FigureSet();
  const set = exportSet(ctx.quick ? 100_000 : 1_000_000);
  const database = `${REALM}_${set.network}`;
  await writeExportSet(ctx.influx.client, set);
  const daqd = new DaqdProcess({ mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url });
  try {
    await daqd.start();
    for (let run = 0; run < ctx.runs; run++) {
      const statement = `SELECT * FROM "gw_node_1_sensors" WHERE time >= ${set.from} AND time <= ${set.to}`;
      const raw = await download(
        `${ctx.influx.url}/query?db=${database}&chunked=true&chunk_size=10000&q=${encodeURIComponent(statement)}`,
      );
      const rawRate = set.count / raw.seconds;
      figures.add('baseline InfluxDB /query (chunked JSON, read raw)', 'rows/s', rawRate);
      const rates = await measureExports(daqd, set, figures, ctx.log, `3 run ${run + 1}`);
      figures.add('CSV ratio to InfluxDB /query', '%', (100 * rates.csv) / rawRate);
    }
  } finally {
    await daqd.stop();
    await ctx.influx.client.query(`DROP DATABASE "${database}"`);
  }
  return {
    id: '3',
    title: `Export of ${set.count.toLocaleString('en')} points of one node (InfluxDB)`,
    figures: figures.list(),
    notes: [
      'Points written straight to InfluxDB for setup; GET …/data.csv|json?from=…&to=… read to the end.',
    ],
  };
}
