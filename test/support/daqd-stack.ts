import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { DaemonProcess, freePort, ROOT } from './daqd.js';
import { eventually } from './eventually.js';
import { type InfluxdProcess, startInfluxd } from './influxd.js';
import { type MosquittoProcess, startMosquitto } from './mosquitto.js';

/** A row of an InfluxDB answer, by column name. */
export type Row = Record<string, unknown>;

/** A message daqd published on an `error.json` topic, its body parsed. */
export interface ErrorReport {
  topic: string;
  body: Row;
}

/** Options of `startDaqdStack`. */
export interface DaqdStackOptions {
  /** Names the temp dir and the MQTT client ids (e.g. `mysense`). */
  name: string;
  /** Apps shipped in `apps-available/`, by file name (e.g. `mysense.ini`), copied as they are. */
  shipped?: readonly string[];
  /** Further apps: file name → INI text. */
  apps?: Readonly<Record<string, string>>;
  /** `[daqd] timezone`; default `UTC`. */
  timezone?: string;
  /** The publisher subscribes to this filter; every message on a topic ending in `error.json` is kept. */
  errorTopics: string;
  /** Output of daqd waited for, in order, before the stack counts as started (readiness, connections). */
  readyWhen: readonly RegExp[];
}

/**
 * A real mosquitto and influxd, a daqd process with the given realm apps in a temp dir, and an MQTT
 * publisher that collects daqd's error reports. `stop()` stops everything started, in reverse order.
 */
export interface DaqdStack {
  broker: MosquittoProcess;
  influx: InfluxdProcess;
  daemon: DaemonProcess;
  publisher: mqtt.MqttClient;
  /** daqd's HTTP port on 127.0.0.1. */
  httpPort: number;
  /** The temp dir: `daqd.ini`, `apps/`, `var/` (data_dir). */
  dir: string;
  /** Error reports received so far, in order. */
  errors: ErrorReport[];
  /** The rows of the first series of an InfluxQL answer. */
  query(statement: string, database: string): Promise<Row[]>;
  /** Every row of a measurement now (none when it does not exist). */
  select(database: string, measurement: string): Promise<Row[]>;
  /** The rows of a measurement once there are at least `n`. */
  rows(database: string, measurement: string, n?: number): Promise<Row[]>;
  /** Stops daqd, the publisher and the services; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

class Stack implements DaqdStack {
  broker!: MosquittoProcess;
  influx!: InfluxdProcess;
  daemon!: DaemonProcess;
  publisher!: mqtt.MqttClient;
  httpPort = 0;
  errors: ErrorReport[] = [];
  dir = '';

  async query(statement: string, database: string): Promise<Row[]> {
    const answer = (await this.influx.query(statement, database)) as {
      results: { series?: { columns: string[]; values: unknown[][] }[] }[];
    };
    const series = answer.results[0]?.series?.[0];
    if (series === undefined) return [];
    return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
  }

  select(database: string, measurement: string): Promise<Row[]> {
    return this.query(`SELECT * FROM "${measurement}"`, database);
  }

  rows(database: string, measurement: string, n = 1): Promise<Row[]> {
    return eventually(`${n} row(s) in ${database}.${measurement}`, async () => {
      const found = await this.select(database, measurement);
      return found.length >= n ? found : undefined;
    });
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    await this.publisher?.endAsync();
    await Promise.all([this.broker?.stop(), this.influx?.stop()]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts the stack; on a failure part-way, stops what was started and rethrows.
 * Throws when mosquitto or influxd is missing (never a reason to skip).
 */
export async function startDaqdStack(options: DaqdStackOptions): Promise<DaqdStack> {
  const stack = new Stack();
  try {
    [stack.broker, stack.influx] = await Promise.all([startMosquitto(), startInfluxd()]);
    stack.dir = await mkdtemp(path.join(tmpdir(), `daqd-${options.name}-`));
    const dir = stack.dir;
    await mkdir(path.join(dir, 'apps'));
    for (const file of options.shipped ?? []) {
      const text = await readFile(path.join(ROOT, 'apps-available', file), 'utf8');
      await writeFile(path.join(dir, 'apps', file), text);
    }
    for (const [file, text] of Object.entries(options.apps ?? {})) {
      await writeFile(path.join(dir, 'apps', file), text);
    }
    stack.httpPort = await freePort();
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = ${options.timezone ?? 'UTC'}\n` +
        'metrics_logger_interval = 0\n' +
        `[http]\nlisten = 127.0.0.1\nport = ${stack.httpPort}\n` +
        `[mqtt]\nport = ${stack.broker.port}\nclient_id = daqd-${options.name}-${path.basename(dir)}\n` +
        `[influxdb]\nurl = ${stack.influx.url}\nflush_interval = 50\n`,
    );
    stack.publisher = await mqtt.connectAsync(stack.broker.url, {
      clientId: `${options.name}-test-${path.basename(dir)}`,
    });
    await stack.publisher.subscribeAsync(options.errorTopics, { qos: 0 });
    stack.publisher.on('message', (topic, payload) => {
      if (topic.endsWith('error.json'))
        stack.errors.push({ topic, body: JSON.parse(payload.toString()) as Row });
    });
    stack.daemon = new DaemonProcess(config);
    for (const pattern of options.readyWhen) await stack.daemon.waitFor(pattern);
    return stack;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
