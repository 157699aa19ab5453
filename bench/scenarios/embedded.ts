import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { BareSubscriber, brokerBaseline } from '../broker-baseline.js';
import { DaqdProcess, REALM } from '../daqd.js';
import { connectPublisher } from '../mqtt-wire.js';
import { ProcessMeter } from '../proc.js';
import { readingJson } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import { percentile, sleep, until } from '../stats.js';
import { EXPORT_STEP_NS, type ExportSet, exportSet, measureExports } from './export.js';
import { LATENCY_RATE } from './mqtt-influx.js';

/** What the embedded scenario needs (it starts no external service). */
export interface EmbeddedBenchContext {
  quick: boolean;
  runs: number;
  log: (line: string) => void;
}

const PUBLISH_WINDOW = 2000;

/** The reading `i` as a point, the way daqd stores it. */
function pointOf(measurement: string, i: number, time: bigint): Point {
  return {
    measurement,
    tags: {},
    fields: {
      temperature: 20 + (i % 100) / 10,
      humidity: 40 + (i % 37),
      pressure: 1013.25,
      voltage: 3.71,
      seq: i,
    },
    time,
  };
}

/** Points in a database of daqd's SQLite store (0 until the file exists), read on a connection of its own. */
class StoreReader {
  private db: Database.Database | undefined;

  constructor(private readonly file: string) {}

  private open(): Database.Database | undefined {
    if (this.db === undefined && existsSync(this.file)) {
      try {
        const db = new Database(this.file, { readonly: true, fileMustExist: true });
        db.prepare('SELECT 1 FROM points LIMIT 1').get();
        this.db = db;
      } catch {
        return undefined;
      }
    }
    return this.db;
  }

  count(): number {
    return (this.open()?.prepare('SELECT count(*) FROM points').pluck().get() as number | undefined) ?? 0;
  }

  /**
   * Calls `seen(seq)` for every point stored after time `after` (ns), in time order, and returns the
   * newest time seen. Every reading is marked on its own, so readings stored out of publishing order
   * are neither lost nor taken for stored too early.
   */
  newSince(after: bigint, seen: (seq: number) => void): bigint {
    const rows = this.open()
      ?.prepare("SELECT time, json_extract(fields, '$.seq') FROM points WHERE time > ? ORDER BY time")
      .safeIntegers(true)
      .raw(true)
      .all(after) as [bigint, bigint][] | undefined;
    let newest = after;
    for (const [time, seq] of rows ?? []) {
      seen(Number(seq));
      newest = time;
    }
    return newest;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

/** Baseline: the same points written straight to the SQLite store (`SqliteSink`), 5,000 per write. */
async function sqliteBaseline(count: number): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'daqd-bench-sqlite-'));
  const sink = new SqliteSink({ dataDir: dir, log: silentLog() });
  await sink.start();
  try {
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const batches: Point[][] = [];
    for (let at = 0; at < count; at += 5000) {
      const batch: Point[] = [];
      for (let i = at; i < Math.min(count, at + 5000); i++)
        batch.push(pointOf('gw_node_0_sensors', i, t0 + BigInt(i) * 1000n));
      batches.push(batch);
    }
    const started = performance.now();
    for (const batch of batches) await sink.write('bench_baseline', batch);
    return count / ((performance.now() - started) / 1000);
  } finally {
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the export set into daqd's data dir before it starts (setup, not measured). */
async function writeExportStore(dataDir: string, set: ExportSet): Promise<void> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    for (let at = 0; at < set.count; at += 10_000) {
      const batch: Point[] = [];
      for (let i = at; i < Math.min(set.count, at + 10_000); i++) {
        batch.push(pointOf('gw_node_1_sensors', i, set.from + BigInt(i) * EXPORT_STEP_NS));
      }
      await sink.write(`${REALM}_${set.network}`, batch);
    }
  } finally {
    await sink.stop();
  }
}

/**
 * Scenario 4: zero-setup mode — daqd's embedded broker (aedes) and SQLite store. 1a (one node topic:
 * throughput against the SQLite and embedded-broker baselines, latency at a moderate rate) and
 * 3 (export of the node as CSV and JSON).
 */
export async function embeddedScenario(ctx: EmbeddedBenchContext): Promise<ScenarioResult> {
  const figures = new FigureSet();
  const notes: string[] = [];
  const count = ctx.quick ? 10_000 : 100_000;
  const set = exportSet(ctx.quick ? 100_000 : 1_000_000, 'export');
  const daqd = new DaqdProcess({ mode: 'embedded' });
  const subscriber = new BareSubscriber();
  try {
    const prepared = performance.now();
    await daqd.start((dataDir) => writeExportStore(dataDir, set));
    ctx.log(
      `  4 setup: ${set.count.toLocaleString('en')} points written to SQLite in ${((performance.now() - prepared) / 1000).toFixed(0)} s`,
    );
    const publisher = await connectPublisher(daqd.mqttPort, 'embedded');
    await subscriber.start(daqd.mqttPort, 'bare/#');
    let received = 0;
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const network = `e${run}x${Date.now() % 100000}`;
        const store = new StoreReader(path.join(daqd.dataDir, 'sqlite', `${REALM}_${network}.sqlite`));
        const sqliteRate = await sqliteBaseline(count);
        const broker = await brokerBaseline(
          publisher,
          subscriber,
          received,
          { networks: 1, nodesPerNetwork: 1 },
          count,
          PUBLISH_WINDOW,
        );
        received = broker.total;

        const meter = new ProcessMeter(daqd.pid);
        const started = performance.now();
        await publisher.publishMany({
          count,
          window: PUBLISH_WINDOW,
          topic: () => `${REALM}/${network}/gw/node-0/data.json`,
          payload: readingJson,
        });
        const ended = await until(
          `${count} readings in SQLite`,
          async () => store.count() >= count,
          120_000,
          25,
        );
        const cpu = meter.cpu();
        const peak = meter.peak();
        await sleep(300);
        const final = store.count();
        store.close();
        const rate = count / ((ended - started) / 1000);
        figures.add('1a daqd end to end', 'readings/s', rate);
        figures.add('1a baseline SQLite store, 5,000/write', 'points/s', sqliteRate);
        figures.add('1a baseline embedded broker → bare subscriber', 'msgs/s', broker.rate);
        figures.add('1a ratio to slower baseline', '%', (100 * rate) / Math.min(sqliteRate, broker.rate));
        figures.add('1a lost or duplicated readings', 'readings', Math.abs(final - count));
        figures.add('1a daqd CPU per 1,000 readings', 'ms', (cpu / count) * 1000);
        figures.add('1a daqd peak RSS', 'MB', peak);
        ctx.log(
          `  4 run ${run + 1}: daqd ${Math.round(rate).toLocaleString('en')}/s, sqlite ${Math.round(sqliteRate).toLocaleString('en')}/s, ` +
            `broker ${Math.round(broker.rate).toLocaleString('en')}/s, stored ${final}/${count}, rss ${peak.toFixed(0)} MB`,
        );

        // Latency: the store is polled for new readings every 2 ms (its resolution).
        const latencyCount = LATENCY_RATE * (ctx.quick ? 1 : 6);
        const latencyNetwork = `${network}l`;
        const latencyStore = new StoreReader(
          path.join(daqd.dataDir, 'sqlite', `${REALM}_${latencyNetwork}.sqlite`),
        );
        const sentAt = new Float64Array(latencyCount);
        const storedAt = new Float64Array(latencyCount);
        let covered = 0;
        let strays = 0;
        let reordered = 0;
        let highest = -1;
        let deadline = Number.POSITIVE_INFINITY;
        const poller = (async () => {
          let after = -1n;
          while (covered < latencyCount && performance.now() < deadline) {
            const at = performance.now();
            after = latencyStore.newSince(after, (seq) => {
              if (seq < 0 || seq >= latencyCount || storedAt[seq] !== 0) strays++;
              else {
                storedAt[seq] = at;
                covered++;
              }
              if (seq < highest) reordered++;
              else highest = seq;
            });
            await sleep(2);
          }
        })();
        await publisher.publishMany({
          count: latencyCount,
          window: PUBLISH_WINDOW,
          rate: LATENCY_RATE,
          topic: () => `${REALM}/${latencyNetwork}/gw/node-0/data.json`,
          payload: readingJson,
          onSent: (i, at) => {
            sentAt[i] = at;
          },
        });
        deadline = performance.now() + 30_000;
        await poller;
        latencyStore.close();
        // A reading not stored within 30 s is loss, one stored twice a duplicate: both are counted,
        // and only readings stored once enter the percentiles.
        figures.add('1a latency stage: readings not stored', 'readings', latencyCount - covered);
        figures.add('1a latency stage: readings stored twice', 'readings', strays);
        if (reordered > 0) {
          ctx.log(`  4 run ${run + 1}: ${reordered} latency readings stored after a later one`);
        }
        if (covered < latencyCount || strays > 0) {
          const missing: number[] = [];
          for (let i = 0; i < latencyCount && missing.length < 10; i++)
            if (storedAt[i] === 0) missing.push(i);
          ctx.log(
            `  4 run ${run + 1}: ${latencyCount - covered} of ${latencyCount} latency readings not stored` +
              ` (first: ${missing.join(', ')}), ${strays} stored twice`,
          );
        }
        const latencies: number[] = [];
        for (let i = 0; i < latencyCount; i++)
          if (storedAt[i] !== 0) latencies.push(storedAt[i]! - sentAt[i]!);
        figures.add(
          `1a latency p50 at ${LATENCY_RATE.toLocaleString('en')}/s`,
          'ms',
          percentile(latencies, 50),
        );
        figures.add(
          `1a latency p99 at ${LATENCY_RATE.toLocaleString('en')}/s`,
          'ms',
          percentile(latencies, 99),
        );

        await measureExports(daqd, set, figures, ctx.log, `4 run ${run + 1} export`);
      }
    } finally {
      await publisher.end();
    }
  } finally {
    await subscriber.stop();
    await daqd.stop();
  }
  notes.push(
    'Embedded broker: aedes inside daqd (MQTT 3.1.1); store: SQLite under data_dir (synchronous=FULL). ' +
      'Latency is publish → the reading is the newest in the store, polled every 2 ms (±2 ms).',
  );
  return {
    id: '4',
    title: `Embedded mode (aedes + SQLite): 1a and export of ${set.count.toLocaleString('en')} points`,
    figures: figures.list(),
    notes,
  };
}
