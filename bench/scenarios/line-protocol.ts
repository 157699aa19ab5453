import http from 'node:http';
import { DaqdProcess, REALM } from '../daqd.js';
import { ProcessMeter } from '../proc.js';
import { readingFields } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import type { InfluxService, MosquittoService } from '../services.js';

/** What the line-protocol scenario runs against. */
export interface LineProtocolBenchContext {
  quick: boolean;
  runs: number;
  mosquitto: MosquittoService;
  influx: InfluxService;
  log: (line: string) => void;
}

/** Lines per request, as the InfluxDB baseline of scenarios 1a/1b writes them; requests in flight. */
const BATCH = 5000;
const CONCURRENCY = 2;

/** The bodies of one run: `count` points of one measurement, ns timestamps, `BATCH` lines each. */
function bodies(count: number): Buffer[] {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const out: Buffer[] = [];
  for (let at = 0; at < count; at += BATCH) {
    const lines: string[] = [];
    for (let i = at; i < Math.min(at + BATCH, count); i++) {
      lines.push(`lp_sensors,node=node-${i % 10} ${readingFields(i)} ${t0 + BigInt(i) * 1000n}`);
    }
    out.push(Buffer.from(lines.join('\n')));
  }
  return out;
}

/** POSTs every body to `url(body)`, `CONCURRENCY` at a time; seconds taken. Throws unless each is 204. */
async function postAll(base: string, path: string, list: readonly Buffer[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method: 'POST', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () =>
          res.statusCode === 204 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < list.length) await post(list[next++]!);
      }),
    );
    return (performance.now() - started) / 1000;
  } finally {
    agent.destroy();
  }
}

/**
 * Scenario 5: line-protocol ingest. The same bodies (5,000 lines each, 5 numeric fields and a tag, ns
 * timestamps), two requests at a time, posted to influxd's own `/write` and to daqd's `/write` (which
 * answers 204 only once stored). Readings/s of each, and daqd's as a ratio of influxd's in the same run;
 * every point is counted in InfluxDB.
 */
export async function lineProtocolScenario(ctx: LineProtocolBenchContext): Promise<ScenarioResult> {
  const figures = new FigureSet();
  const count = ctx.quick ? 20_000 : 200_000;
  const daqd = new DaqdProcess({ mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url });
  const client = ctx.influx.client;
  try {
    await daqd.start();
    const daqdBase = `http://127.0.0.1:${daqd.httpPort}`;
    // Warm-up (JIT, sockets to InfluxDB), into a database of its own.
    await client.query(`CREATE DATABASE "${REALM}_lpwarm"`);
    await postAll(daqdBase, `/write?db=${REALM}_lpwarm`, bodies(ctx.quick ? 10_000 : 40_000));
    await client.query(`DROP DATABASE "${REALM}_lpwarm"`);
    for (let run = 0; run < ctx.runs; run++) {
      const list = bodies(count);
      const ours = `${REALM}_lp${run}x${Date.now() % 100000}`;
      const theirs = `${ours}_influx`;
      // Databases are made before the clock starts, on both sides.
      await client.query(`CREATE DATABASE "${ours}"`);
      await client.query(`CREATE DATABASE "${theirs}"`);

      const baselineSeconds = await postAll(ctx.influx.url, `/write?db=${theirs}`, list);
      const meter = new ProcessMeter(daqd.pid);
      const daqdSeconds = await postAll(daqdBase, `/write?db=${ours}`, list);
      const cpu = meter.cpu();
      const peak = meter.peak();
      const stored = await countSeq(ctx, ours);
      const baseline = count / baselineSeconds;
      const rate = count / daqdSeconds;
      figures.add('daqd /write readings/s (acknowledged once stored)', 'readings/s', rate);
      figures.add('baseline InfluxDB /write', 'points/s', baseline);
      figures.add('ratio to InfluxDB /write', '%', (rate / baseline) * 100);
      figures.add('readings not stored', 'readings', Math.max(0, count - stored));
      figures.add('daqd CPU per 1,000 readings', 'ms', (cpu / count) * 1000);
      figures.add('daqd peak RSS', 'MB', peak);
      await client.query(`DROP DATABASE "${ours}"`);
      await client.query(`DROP DATABASE "${theirs}"`);
      ctx.log(
        `  5 run ${run + 1}: daqd ${Math.round(rate)} readings/s, influxd ${Math.round(baseline)} points/s ` +
          `(${((rate / baseline) * 100).toFixed(1)}%), stored ${stored}/${count}`,
      );
    }
  } finally {
    await daqd.stop();
  }
  return {
    id: '5',
    title: 'Line protocol → daqd /write → InfluxDB',
    figures: figures.list(),
    notes: [
      `${count} points per run in bodies of ${BATCH} lines, ${CONCURRENCY} requests at a time, the same bodies ` +
        "to influxd's /write (baseline) and to daqd's /write; a 204 from daqd means stored.",
    ],
  };
}

/** Points of the run's measurement in a database (daqd answered only once they were stored). */
async function countSeq(ctx: LineProtocolBenchContext, database: string): Promise<number> {
  return ctx.influx.client.count(database, 'seq', '^lp_sensors$');
}
