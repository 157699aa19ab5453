import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';
import { influxSeqs, type StoredSeqs, sqliteSeqs } from './stores.js';

/** The realm every scenario uses. */
export const REALM = 'faults';
const MEASUREMENT = 'gw_node_sensors';

type Sections = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** How one scenario runs daqd. */
export interface RigOptions {
  /** Outside Mosquitto, or daqd's built-in broker (aedes). */
  broker: 'mosquitto' | 'embedded';
  /** A real influxd, or daqd's embedded SQLite store. */
  store: 'influxdb' | 'sqlite';
  /** Extra main-file keys per section, e.g. `{ influxdb: { timeout: '30000' } }`. */
  config?: Sections;
  /** Runs once before daqd first starts (the data dir exists then, empty). */
  prepare?: (rig: FaultRig) => Promise<void>;
}

/**
 * One scenario's world: its services (mosquitto, influxd) as real processes, a daqd process with a
 * fixed configuration, data dir and ports (so a daqd started again after a kill is the same daqd, and
 * publishers find it where it was), one realm app that can be edited, and a way to read what was stored.
 */
export class FaultRig {
  mosquitto: MosquittoProcess | undefined;
  influxd: InfluxdProcess | undefined;
  daemon: DaemonProcess | undefined;
  dir = '';
  dataDir = '';
  httpPort = 0;
  /** Port of the broker publishers use: Mosquitto's or daqd's own. */
  mqttPort = 0;
  /** A network name of this scenario: database `faults_<network>`. */
  readonly network = `n${process.pid}x${Math.floor(Math.random() * 1e6)}`;
  /** Everything daqd wrote, over every start. */
  private pastOutput = '';
  private appVersion = 0;
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(readonly options: RigOptions) {}

  get database(): string {
    return `${REALM}_${this.network}`;
  }

  get topic(): string {
    return `${REALM}/${this.network}/gw/node/data.json`;
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  get ingestUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/api/${REALM}/${this.network}/gw/node/data`;
  }

  get sqliteFile(): string {
    return path.join(this.dataDir, 'sqlite', `${this.database}.sqlite`);
  }

  /** daqd's output over every start so far. */
  get output(): string {
    return this.pastOutput + (this.daemon?.output ?? '');
  }

  /** Registers a step for `stop()`, run after daqd and the services stopped, newest first. */
  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Starts the services, writes the configuration and starts daqd. */
  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'daqd-faults-'));
    this.dataDir = path.join(this.dir, 'var');
    await mkdir(this.dataDir);
    await mkdir(path.join(this.dir, 'apps-available'));
    await mkdir(path.join(this.dir, 'apps-enabled'));
    const { broker, store } = this.options;
    if (broker === 'mosquitto') {
      this.mosquitto = await startMosquitto();
      this.mqttPort = this.mosquitto.port;
    } else {
      this.mqttPort = await freePort();
    }
    if (store === 'influxdb') this.influxd = await startInfluxd();
    this.httpPort = await freePort();
    await this.writeConfig();
    await this.writeApp();
    await symlink(`../apps-available/${REALM}.ini`, path.join(this.dir, 'apps-enabled', `${REALM}.ini`));
    await this.options.prepare?.(this);
    await this.startDaqd();
  }

  /** Starts daqd (again) and waits until it is ready and, with Mosquitto, connected. */
  async startDaqd(): Promise<void> {
    if (this.daemon) this.pastOutput += this.daemon.output;
    this.daemon = new DaemonProcess(path.join(this.dir, 'daqd.ini'));
    await this.daemon.waitFor(/ready: /, 30_000);
    if (this.options.broker === 'mosquitto') await this.daemon.waitFor(/connected to broker/, 30_000);
  }

  /** SIGKILL daqd and wait for it to be gone. */
  async killDaqd(): Promise<void> {
    const daemon = this.daemon;
    if (daemon === undefined) return;
    daemon.signal('SIGKILL');
    await daemon.exit();
  }

  /** Rewrites the realm app with a changed tag list: a change that restarts the realm's channel. */
  async editApp(): Promise<void> {
    this.appVersion++;
    await this.writeApp();
  }

  /** Every stored `seq` of the scenario's node. */
  storedSeqs(): StoredSeqs {
    if (this.influxd) return influxSeqs(this.influxd, this.database, MEASUREMENT);
    return sqliteSeqs(this.sqliteFile);
  }

  /** GET /health: its status and body (undefined when daqd does not answer within 2 s). */
  async health(): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort}/health`, {
        signal: AbortSignal.timeout(2000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch {
      return undefined;
    }
  }

  /** Stops daqd and every service (a stopped one is sent SIGCONT first), runs the cleanups, removes the dir. */
  async stop(): Promise<void> {
    for (const pid of [this.influxd?.pid, this.mosquitto?.pid]) {
      if (pid) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
    }
    await this.daemon?.stop(15_000);
    await this.influxd?.stop();
    await this.mosquitto?.stop();
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => {});
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private async writeConfig(): Promise<void> {
    const { broker, store } = this.options;
    const sections: Record<string, Record<string, string>> = {
      main: { include: 'apps-enabled/*.ini' },
      daqd: { data_dir: 'var', timezone: 'UTC', metrics_logger_interval: '0', shutdown_timeout: '10' },
      http: { listen: '127.0.0.1', port: String(this.httpPort) },
      mqtt: {
        host: '127.0.0.1',
        port: String(this.mqttPort),
        client_id: `daqd-faults-${this.network}`,
        embedded: String(broker === 'embedded'),
      },
      storage: { backend: store },
    };
    if (this.influxd) sections['influxdb'] = { url: this.influxd.url };
    for (const [name, keys] of Object.entries(this.options.config ?? {}))
      sections[name] = { ...sections[name], ...keys };
    const text = Object.entries(sections)
      .map(
        ([name, keys]) =>
          `[${name}]\n${Object.entries(keys)
            .map(([k, v]) => `${k} = ${v}\n`)
            .join('')}`,
      )
      .join('\n');
    await writeFile(path.join(this.dir, 'daqd.ini'), text);
  }

  private async writeApp(): Promise<void> {
    await writeFile(
      path.join(this.dir, 'apps-available', `${REALM}.ini`),
      `[${REALM}]\ntype = application\nrealm = ${REALM}\nmqtt_topics = ${REALM}/#\napplication = mqttkit\n` +
        `http_api = true\ntags = site_${this.appVersion}\n`,
    );
  }
}
