import { SqliteSink } from '../lib/acquire/sink/sqlite.js';
import { silentLog } from '../lib/core/log.js';
import type { Point } from '../lib/core/point.js';
import { DaqdProcess, REALM } from './daqd.js';
import { type InfluxService, type MosquittoService, startInfluxd, startMosquitto } from './services.js';

/** The stores `npm run bench:web` measures the web view on. */
export const WEB_STORES = ['sqlite', 'influxdb'] as const;
export type WebStore = (typeof WEB_STORES)[number];

const DAY_MS = 86_400_000;
/** The node's network; its node is `hive/scale` (gateway `hive`, node `scale`). */
const NETWORK = 'apiary';
/** The node's address as the web view names it. */
export const WEB_ADDRESS = `${NETWORK}/hive/scale`;
/** As daqd names the node's readings: database `bench_apiary`, measurement `hive_scale_sensors`. */
const DATABASE = `${REALM}_${NETWORK}`;
const MEASUREMENT = 'hive_scale_sensors';
const BATCH = 20_000;

/** Reading `i` of `count`, spread evenly over the 30 days before `now` (ms): its time (ms) and fields. */
function reading(i: number, count: number, now: number): { t: number; weight: number; temperature: number } {
  const t = now - 30 * DAY_MS + i * ((30 * DAY_MS) / count);
  return {
    t,
    weight: 40 + 5 * Math.sin(t / DAY_MS),
    temperature: 20 + 8 * Math.cos(t / (DAY_MS / 2)),
  };
}

/** A running daqd with the node's readings in its store, and what it needs stopped afterwards. */
export interface WebBenchStore {
  daqd: DaqdProcess;
  /** The process that answers queries besides daqd (influxd), if any. */
  database?: { name: string; pid: number } | undefined;
  stop(): Promise<void>;
}

/**
 * Starts daqd on a store that holds `count` readings of the node over the 30 days before `now`, written
 * straight to the store for setup (not measured): SQLite through daqd's own sink into the data dir
 * before daqd starts; InfluxDB through /write to a fresh influxd (daqd then also needs mosquitto).
 */
export async function startWebBenchStore(
  store: WebStore,
  count: number,
  now: number,
  log: (line: string) => void,
): Promise<WebBenchStore> {
  const started = performance.now();
  const stored = () =>
    log(
      `  ${store}: stored ${count.toLocaleString('en')} readings over 30 days in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  if (store === 'sqlite') {
    const daqd = new DaqdProcess({ mode: 'embedded' });
    try {
      await daqd.start(async (dataDir) => {
        await fillSqlite(dataDir, count, now);
        stored();
      });
    } catch (err) {
      await daqd.stop();
      throw err;
    }
    return { daqd, stop: () => daqd.stop() };
  }
  let influx: InfluxService | undefined;
  let mosquitto: MosquittoService | undefined;
  let daqd: DaqdProcess | undefined;
  const stop = async () => {
    await daqd?.stop();
    await mosquitto?.stop();
    await influx?.stop();
  };
  try {
    influx = await startInfluxd();
    mosquitto = await startMosquitto();
    await fillInflux(influx, count, now);
    stored();
    daqd = new DaqdProcess({ mode: 'influxdb', mqttPort: mosquitto.port, influxUrl: influx.url });
    await daqd.start();
    const influxd = influx;
    return { daqd, database: { name: 'influxd', pid: influxd.pid }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function fillSqlite(dataDir: string, count: number, now: number): Promise<void> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    for (let at = 0; at < count; at += BATCH) {
      const batch: Point[] = [];
      for (let i = at; i < Math.min(count, at + BATCH); i++) {
        const { t, weight, temperature } = reading(i, count, now);
        batch.push({
          measurement: MEASUREMENT,
          tags: {},
          fields: { weight, temperature },
          time: BigInt(Math.round(t)) * 1_000_000n,
        });
      }
      await sink.write(DATABASE, batch);
    }
  } finally {
    await sink.stop();
  }
}

async function fillInflux(influx: InfluxService, count: number, now: number): Promise<void> {
  await influx.client.query(`CREATE DATABASE "${DATABASE}"`);
  let next = 0;
  // Two writers, as scenario 3 fills its export set.
  const worker = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + BATCH);
      const lines: string[] = [];
      for (let i = start; i < next; i++) {
        const { t, weight, temperature } = reading(i, count, now);
        lines.push(`${MEASUREMENT} temperature=${temperature},weight=${weight} ${Math.round(t)}`);
      }
      await influx.client.write(DATABASE, lines.join('\n'), 'ms');
    }
  };
  await Promise.all([worker(), worker()]);
}
