import { cannon } from '../autocannon.js';
import { DaqdProcess, REALM } from '../daqd.js';
import { ProcessMeter } from '../proc.js';
import { readingJson } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import type { InfluxService, MosquittoService } from '../services.js';
import { until } from '../stats.js';

/** What the HTTP scenario runs against. */
export interface HttpBenchContext {
  quick: boolean;
  runs: number;
  mosquitto: MosquittoService;
  influx: InfluxService;
  log: (line: string) => void;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** Concurrent bulk uploads. */
const BULK_CONNECTIONS = Number(process.env['BENCH_BULK_CONNECTIONS'] ?? 8);

/**
 * Scenario 2: HTTP ingest. Single-reading POSTs over 64 keep-alive connections (requests/s, p99),
 * then bulk POSTs of 1,000 readings (readings/s); every 2xx reading is checked to be in InfluxDB.
 */
export async function httpIngest(ctx: HttpBenchContext): Promise<ScenarioResult> {
  const figures = new FigureSet();
  const notes: string[] = [];
  const seconds = ctx.quick ? 2 : 10;
  const bulkRequests = ctx.quick ? 60 : 300;
  const daqd = new DaqdProcess({ mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url });
  try {
    await daqd.start();
    const base = `http://127.0.0.1:${daqd.httpPort}/api/${REALM}`;
    // Warm-up of both request kinds (JIT, sockets to InfluxDB), into a database of its own.
    const warmBulk = `[${Array.from({ length: 1000 }, (_, i) => readingJson(i)).join(',')}]`;
    await cannon({
      url: `${base}/warm/gw/node-1/data`,
      method: 'POST',
      connections: 16,
      amount: ctx.quick ? 500 : 2000,
      body: readingJson(0),
      headers: JSON_HEADERS,
    });
    await cannon({
      url: `${base}/warm/gw/node-2/data`,
      method: 'POST',
      connections: 4,
      amount: ctx.quick ? 8 : 20,
      body: warmBulk,
      headers: JSON_HEADERS,
    });
    await ctx.influx.client.query(`DROP DATABASE "${REALM}_warm"`);
    for (let run = 0; run < ctx.runs; run++) {
      const network = `h${run}x${Date.now() % 100000}`;
      const database = `${REALM}_${network}`;
      // The run's database is made before the clock starts (the first write of a node creates it).
      await cannon({
        url: `${base}/${network}/gw/node-0/data`,
        method: 'POST',
        connections: 1,
        amount: 1,
        body: readingJson(0),
        headers: JSON_HEADERS,
      });

      let meter = new ProcessMeter(daqd.pid);
      const singleRun = await cannon({
        url: `${base}/${network}/gw/node-1/data`,
        method: 'POST',
        connections: 64,
        duration: seconds,
        body: readingJson(1),
        headers: JSON_HEADERS,
      });
      const single = singleRun.result;
      const singleSeconds = singleRun.seconds;
      const singleCpu = meter.cpu();
      const singlePeak = meter.peak();
      const ok = single['2xx'];
      const storedSingle = await waitStored(ctx, database, 'gw_node_1_sensors', ok);
      figures.add('single POST requests/s (64 connections)', 'req/s', ok / singleSeconds);
      figures.add('single POST latency p50', 'ms', single.latency.p50);
      figures.add('single POST latency p99', 'ms', single.latency.p99);
      figures.add('single POST failed requests', 'requests', single.non2xx + single.errors + single.timeouts);
      // Requests still open when the run ends are stored but not counted: only a shortfall is a loss.
      figures.add('single POST readings not stored', 'readings', Math.max(0, ok - storedSingle));
      figures.add('single POST daqd CPU per 1,000 readings', 'ms', (singleCpu / Math.max(ok, 1)) * 1000);
      figures.add('single POST daqd peak RSS', 'MB', singlePeak);

      const bulkBody = `[${Array.from({ length: 1000 }, (_, i) => readingJson(i)).join(',')}]`;
      meter = new ProcessMeter(daqd.pid);
      const bulkRun = await cannon({
        url: `${base}/${network}/gw/node-2/data`,
        method: 'POST',
        connections: BULK_CONNECTIONS,
        amount: bulkRequests,
        body: bulkBody,
        headers: JSON_HEADERS,
        timeout: 60,
      });
      const bulk = bulkRun.result;
      const bulkSeconds = bulkRun.seconds;
      const bulkCpu = meter.cpu();
      const bulkPeak = meter.peak();
      const readings = bulk['2xx'] * 1000;
      const storedBulk = await waitStored(ctx, database, 'gw_node_2_sensors', readings);
      figures.add('bulk POST readings/s (1,000 per request)', 'readings/s', readings / bulkSeconds);
      figures.add('bulk POST latency p99', 'ms', bulk.latency.p99);
      figures.add('bulk POST failed requests', 'requests', bulk.non2xx + bulk.errors + bulk.timeouts);
      figures.add('bulk POST readings not stored', 'readings', Math.max(0, readings - storedBulk));
      figures.add('bulk POST daqd CPU per 1,000 readings', 'ms', (bulkCpu / Math.max(readings, 1)) * 1000);
      figures.add('bulk POST daqd peak RSS', 'MB', bulkPeak);
      await ctx.influx.client.query(`DROP DATABASE "${database}"`);
      ctx.log(
        `  2 run ${run + 1}: single ${Math.round(ok / singleSeconds)} req/s p99 ${single.latency.p99} ms, ` +
          `bulk ${Math.round(readings / bulkSeconds)} readings/s, stored ${storedSingle}/${ok} + ${storedBulk}/${readings}`,
      );
    }
  } finally {
    await daqd.stop();
  }
  notes.push(
    `single: autocannon, 64 keep-alive connections for ${seconds} s, one JSON reading (5 fields) per POST; ` +
      `bulk: ${bulkRequests} POSTs of a JSON array of 1,000 readings over ${BULK_CONNECTIONS} connections. ` +
      'A 2xx answer means stored (daqd answers after the write); the counts are checked in InfluxDB.',
  );
  return { id: '2', title: 'HTTP ingest → InfluxDB', figures: figures.list(), notes };
}

/** Waits (a little) until `expected` points are queryable; returns the count found. */
async function waitStored(
  ctx: HttpBenchContext,
  database: string,
  measurement: string,
  expected: number,
): Promise<number> {
  let found = 0;
  try {
    await until(
      `${expected} points in ${database}`,
      async () => {
        found = await ctx.influx.client.count(database, 'seq', `^${measurement}$`);
        return found >= expected;
      },
      10_000,
      50,
    );
  } catch {
    // Reported as readings not stored.
  }
  return found;
}
