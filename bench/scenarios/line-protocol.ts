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
 * answers 204 only once stored), in alternating order from run to run. Readings/s of each, and daqd's
 * as a ratio of influxd's in the same run; every point is counted in InfluxDB. CPU time (user + system,
 * /proc) per reading of daqd and of influxd on each side gives the same comparison without the
 * scheduling noise of a shared machine: influxd's CPU per point alone against daqd's plus influxd's
 * behind daqd.
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

      // Each side is timed with the CPU time of daqd and influxd over its stretch; the side that goes
      // first alternates from run to run, so a drift in the machine's load favours neither.
      const baselineSide = async () => {
        const influxd = new ProcessMeter(ctx.influx.pid);
        const seconds = await postAll(ctx.influx.url, `/write?db=${theirs}`, list);
        return { seconds, influxdCpu: influxd.cpu() };
      };
      const daqdSide = async () => {
        const meter = new ProcessMeter(daqd.pid);
        const influxd = new ProcessMeter(ctx.influx.pid);
        const seconds = await postAll(daqdBase, `/write?db=${ours}`, list);
        return { seconds, cpu: meter.cpu(), influxdCpu: influxd.cpu(), peak: meter.peak() };
      };
      let base: Awaited<ReturnType<typeof baselineSide>>;
      let side: Awaited<ReturnType<typeof daqdSide>>;
      if (run % 2 === 0) {
        base = await baselineSide();
        side = await daqdSide();
      } else {
        side = await daqdSide();
        base = await baselineSide();
      }
      const stored = await countSeq(ctx, ours);
      const baseline = count / base.seconds;
      const rate = count / side.seconds;
      // CPU per reading, µs: ms × 1000 / readings.
      const perReading = (ms: number) => (ms * 1000) / count;
      const daqdCpu = perReading(side.cpu);
      const influxdAlone = perReading(base.influxdCpu);
      const influxdBehind = perReading(side.influxdCpu);
      figures.add('daqd /write readings/s (acknowledged once stored)', 'readings/s', rate);
      figures.add('baseline InfluxDB /write', 'points/s', baseline);
      figures.add('ratio to InfluxDB /write', '%', (rate / baseline) * 100);
      figures.add('readings not stored', 'readings', Math.max(0, count - stored));
      figures.add('daqd CPU per reading', 'µs', daqdCpu);
      figures.add('influxd CPU per point, baseline', 'µs', influxdAlone);
      figures.add('influxd CPU per point, behind daqd', 'µs', influxdBehind);
      figures.add(
        'CPU ratio: influxd alone / (daqd + influxd behind it)',
        '%',
        (influxdAlone / (daqdCpu + influxdBehind)) * 100,
      );
      figures.add('daqd peak RSS', 'MB', side.peak);
      await client.query(`DROP DATABASE "${ours}"`);
      await client.query(`DROP DATABASE "${theirs}"`);
      ctx.log(
        `  5 run ${run + 1}: daqd ${Math.round(rate)} readings/s, influxd ${Math.round(baseline)} points/s ` +
          `(${((rate / baseline) * 100).toFixed(1)}%), stored ${stored}/${count}; CPU µs per reading: ` +
          `daqd ${daqdCpu.toFixed(2)} + influxd ${influxdBehind.toFixed(2)}, influxd alone ${influxdAlone.toFixed(2)}`,
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
        "to influxd's /write (baseline) and to daqd's /write, which goes first alternating by run; a 204 from " +
        'daqd means stored. CPU per reading: user + system time of the process over its stretch / readings.',
    ],
  };
}

/** Points of the run's measurement in a database (daqd answered only once they were stored). */
async function countSeq(ctx: LineProtocolBenchContext, database: string): Promise<number> {
  return ctx.influx.client.count(database, 'seq', '^lp_sensors$');
}
