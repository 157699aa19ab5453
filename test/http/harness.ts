import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

/** A row of an InfluxDB answer, by column name. */
export type Row = Record<string, unknown>;

/** A real influxd and mosquitto, and a daqd process using them, with its realm apps in a temp dir. */
export class ApiStack {
  influx!: InfluxdProcess;
  broker!: MosquittoProcess;
  daemon: DaemonProcess | undefined;
  dir = '';
  httpPort = 0;
  private config = '';

  constructor(
    private readonly apps: Readonly<Record<string, string>>,
    private readonly main: { maxBodySize?: number; timezone?: string } = {},
  ) {}

  /** `http://127.0.0.1:<port>` of daqd. */
  get base(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start(): Promise<void> {
    [this.influx, this.broker] = await Promise.all([startInfluxd(), startMosquitto()]);
    this.dir = await mkdtemp(path.join(tmpdir(), 'daqd-http-'));
    await mkdir(path.join(this.dir, 'apps'));
    for (const [name, text] of Object.entries(this.apps)) {
      await writeFile(path.join(this.dir, 'apps', `${name}.ini`), text);
    }
    this.httpPort = await freePort();
    this.config = path.join(this.dir, 'daqd.ini');
    await writeFile(
      this.config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = ${this.main.timezone ?? 'UTC'}\n` +
        'metrics_logger_interval = 0\nshutdown_timeout = 5\n' +
        `[http]\nlisten = 127.0.0.1\nport = ${this.httpPort}\nmax_body_size = ${this.main.maxBodySize ?? 65536}\n` +
        `[mqtt]\nport = ${this.broker.port}\nclient_id = daqd-http-${path.basename(this.dir)}\n` +
        `[influxdb]\nurl = ${this.influx.url}\nflush_interval = 20\n`,
    );
    await this.startDaemon();
  }

  async startDaemon(): Promise<void> {
    this.daemon = new DaemonProcess(this.config);
    await this.daemon.waitFor(new RegExp(`ready: ${Object.keys(this.apps).length} realm`), 20_000);
  }

  async restartDaemon(): Promise<void> {
    await this.daemon?.stop();
    await this.startDaemon();
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    await Promise.all([this.broker?.stop(), this.influx?.stop()]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** A request to daqd. */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response> {
    return fetch(this.base + pathAndQuery, init);
  }

  /** POSTs a body with a Content-Type. */
  post(pathAndQuery: string, contentType: string | undefined, body: string | Buffer): Promise<Response> {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    return fetch(this.base + pathAndQuery, { method: 'POST', headers, body });
  }

  /** Every row of a measurement, as InfluxDB holds it. */
  async select(database: string, measurement: string, what = '*'): Promise<Row[]> {
    const answer = (await this.influx.query(`SELECT ${what} FROM "${measurement}"`, database).catch(() => ({
      results: [],
    }))) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] };
    const series = answer.results[0]?.series?.[0];
    if (series === undefined) return [];
    return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
  }

  /**
   * The rows of `measurement` once there are some and each has every one of `fields`: a query that
   * runs while influxd is still applying a write can see its point with only some of its fields.
   */
  async storedRows(database: string, measurement: string, fields: readonly string[]): Promise<Row[]> {
    return eventually(`'${measurement}' stored in '${database}'`, async () => {
      const rows = await this.select(database, measurement);
      const whole = rows.every((row) =>
        fields.every((field) => row[field] !== null && row[field] !== undefined),
      );
      return rows.length > 0 && whole ? rows : undefined;
    });
  }

  /** Database names on the influxd. */
  async databases(): Promise<string[]> {
    const answer = (await this.influx.query('SHOW DATABASES')) as {
      results: { series?: { values: string[][] }[] }[];
    };
    return (answer.results[0]?.series?.[0]?.values ?? []).map((v) => v[0] ?? '');
  }

  /** Writes line protocol straight to influxd (test data for exports). */
  async writeLines(database: string, lines: string, precision = 'ns'): Promise<void> {
    await this.influx.query(`CREATE DATABASE "${database}"`);
    const res = await fetch(
      `${this.influx.url}/write?db=${encodeURIComponent(database)}&precision=${precision}`,
      {
        method: 'POST',
        body: lines,
      },
    );
    if (res.status !== 204) throw new Error(`influxd /write: HTTP ${res.status}: ${await res.text()}`);
  }
}

/** A raw HTTP/1.1 request (for bodies fetch will not send: chunked uploads, lying Content-Length). */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; chunks: readonly Buffer[] },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before the whole upload is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    void (async () => {
      for (const chunk of options.chunks) {
        if (req.destroyed) return;
        if (!req.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              req.off('drain', done);
              req.off('close', done);
              resolve();
            };
            req.on('drain', done);
            req.on('close', done);
          });
        }
      }
      req.end();
    })();
  });
}

export { eventually } from '../support/eventually.js';
