import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../lib/cli/heap-limit.js';
import { freePort } from '../test/support/free-port.js';
import { forgetSession } from './mqtt-wire.js';

/** The repository root (this file runs as dist/bench/daqd.js) and the CLI shim that runs dist/. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAQD = path.join(ROOT, 'bin/daqd');

/** The realm every scenario publishes and posts into. */
export const REALM = 'bench';

/** How to run daqd: against external mosquitto + influxd, or embedded broker + SQLite. */
export type DaqdSetup = { mode: 'influxdb'; mqttPort: number; influxUrl: string } | { mode: 'embedded' };

/** A daqd started from `dist/` as a child process, with a fresh data dir and configuration. */
export class DaqdProcess {
  output = '';
  httpPort = 0;
  /** Embedded mode: the port of daqd's own broker. */
  mqttPort = 0;
  dataDir = '';
  /** The client id of the realm's MQTT session (`<[mqtt] client_id>-<realm>`), once started. */
  sessionId = '';
  private child: ChildProcess | undefined;
  private dir = '';

  constructor(
    private readonly setup: DaqdSetup,
    /** Extra `[section] key = value` lines, e.g. `{ influxdb: { batch_size: '10000' } }`. */
    private readonly extra: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
    /** Extra keys of the realm's app, e.g. `{ mqtt_shared_group: 'daqd' }`. */
    private readonly appKeys: Readonly<Record<string, string>> = {},
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Writes the configuration and starts; `prepare` may fill the data dir before daqd opens it. */
  async start(prepare?: (dataDir: string) => Promise<void>): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'daqd-bench-'));
    this.dataDir = path.join(this.dir, 'var');
    await mkdir(this.dataDir);
    await prepare?.(this.dataDir);
    await mkdir(path.join(this.dir, 'apps'));
    await writeFile(
      path.join(this.dir, 'apps', `${REALM}.ini`),
      `[${REALM}]\ntype = application\nrealm = ${REALM}\nmqtt_topics = ${REALM}/#\napplication = mqttkit\nhttp_api = true\n` +
        'metrics_logger_interval = 0\n' +
        Object.entries(this.appKeys)
          .map(([k, v]) => `${k} = ${v}\n`)
          .join(''),
    );
    this.httpPort = await freePort();
    const sections: Record<string, Record<string, string>> = {
      main: { include: 'apps/*.ini' },
      daqd: { data_dir: 'var', timezone: 'UTC', log_level: 'info', metrics_logger_interval: '0' },
      http: { listen: '127.0.0.1', port: String(this.httpPort) },
    };
    if (this.setup.mode === 'influxdb') {
      sections['mqtt'] = {
        host: '127.0.0.1',
        port: String(this.setup.mqttPort),
        client_id: `daqd-bench-${process.pid}`,
      };
      sections['influxdb'] = { url: this.setup.influxUrl };
      sections['storage'] = { backend: 'influxdb' };
    } else {
      this.mqttPort = await freePort();
      sections['mqtt'] = {
        embedded: 'true',
        host: '127.0.0.1',
        port: String(this.mqttPort),
        client_id: `daqd-bench-${process.pid}`,
      };
      sections['storage'] = { backend: 'sqlite' };
    }
    for (const [section, keys] of Object.entries(this.extra))
      sections[section] = { ...sections[section], ...keys };
    // DAQD_BENCH_CONFIG="mqtt.receive_maximum=5000,influxdb.flush_interval=50" tries other settings.
    for (const item of (process.env['DAQD_BENCH_CONFIG'] ?? '').split(',').filter(Boolean)) {
      const match = /^(\w+)\.(\w+)=(.*)$/.exec(item);
      if (match === null) throw new Error(`DAQD_BENCH_CONFIG: '${item}' is not section.key=value`);
      const [, section, key, value] = match as unknown as [string, string, string, string];
      sections[section] = { ...sections[section], [key]: value };
    }
    if (this.setup.mode === 'influxdb') this.sessionId = `${sections['mqtt']?.['client_id']}-${REALM}`;
    const text = Object.entries(sections)
      .map(
        ([name, keys]) =>
          `[${name}]\n${Object.entries(keys)
            .map(([k, v]) => `${k} = ${v}`)
            .join('\n')}\n`,
      )
      .join('');
    const config = path.join(this.dir, 'daqd.ini');
    await writeFile(config, text);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('DAQD_') && !k.startsWith('KOTORI_')) env[k] = v;
    const child = spawn(
      process.execPath,
      [
        // daqd's own node options, as npm start and the systemd unit set them; DAQD_BENCH_NODE_ARGS
        // come after them, so a --max-old-space-size there wins.
        ...NODE_FLAGS,
        ...(process.env['DAQD_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
        DAQD,
        'run',
        '--config',
        config,
      ],
      {
        cwd: this.dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-64 * 1024);
      if (process.env['DAQD_BENCH_VERBOSE']) process.stderr.write(d);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await this.waitFor(/ready: 1 realm/);
    // Embedded mode: the realm takes messages inside daqd's own broker, there is no connection to wait for.
    if (this.setup.mode === 'influxdb') await this.waitFor(/connected to broker/);
  }

  /** The realm's `daqd_readings_stored_total` from daqd's `/metrics` (since this process started). */
  async storedReadings(): Promise<number> {
    return this.metric(`daqd_readings_stored_total{realm="${REALM}"}`);
  }

  /** Successful writes to the store so far (`daqd_storage_write_duration_seconds_count`, outcome ok). */
  async storeWrites(): Promise<number> {
    return this.metric('daqd_storage_write_duration_seconds_count{outcome="ok"}');
  }

  /** One sample of daqd's `/metrics`, named with its labels; 0 when absent. */
  private async metric(name: string): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`);
    if (!response.ok) throw new Error(`daqd /metrics answered ${response.status}`);
    const prefix = `${name} `;
    const line = (await response.text()).split('\n').find((l) => l.startsWith(prefix));
    return line === undefined ? 0 : Number(line.slice(prefix.length));
  }

  /** Waits until daqd's output matches. */
  async waitFor(pattern: RegExp, timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!pattern.test(this.output)) {
      if (this.child?.exitCode !== null) throw new Error(`daqd exited before ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`daqd: timed out waiting for ${pattern}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * SIGTERM, wait for the exit (SIGKILL after 20 s), remove the temp dir. Against the external broker,
   * its persistent MQTT session is then discarded: mosquitto would otherwise go on queueing every
   * later reading for it, or, in a shared subscription, keep handing it a share nobody takes.
   */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = '';
    if (this.setup.mode === 'influxdb' && this.sessionId !== '') {
      const id = this.sessionId;
      this.sessionId = '';
      await forgetSession(this.setup.mqttPort, id);
    }
  }
}
