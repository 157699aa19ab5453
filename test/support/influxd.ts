import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { requireBinary } from './child-processes.js';
import { freePort } from './free-port.js';
import { ServiceProcess } from './service-process.js';

export { freePort };

/** Credentials of the admin user an auth-enabled influxd is started with. */
export interface InfluxdAdmin {
  username: string;
  password: string;
}

/** A real influxd (1.x) on loopback ports with its own temp dir. */
export interface InfluxdProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** HTTP port. */
  port: number;
  /** Process id while running, else 0. */
  readonly pid: number;
  /** The admin user when started with `auth: true`. */
  admin: InfluxdAdmin | undefined;
  /** Runs InfluxQL as admin (POST /query) and returns the parsed answer; throws on any error in it. */
  query(statement: string, database?: string): Promise<unknown>;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stop the process (if running) and start it again on the same data dir and port. */
  restart(): Promise<void>;
  /** SIGKILL, wait for exit; data dir and port are kept so `restart()` brings it back. */
  kill(): Promise<void>;
}

/** `$INFLUXD`, Debian's path, then `$PATH`; throws naming the Debian package. */
function findInfluxd(): string {
  return requireBinary(
    'influxd',
    [process.env['INFLUXD'], '/usr/bin/influxd', '/usr/sbin/influxd'],
    'influxdb',
  );
}

/** The environment without INFLUXDB_* variables: they would override the test's config file. */
function envWithoutInfluxdb(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('INFLUXDB_')) env[key] = value;
  return env;
}

function configText(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  // Debian's 1.6 build names the usage-reporting switch `reporting-enabled`; upstream says
  // `reporting-disabled`. Both are given: influxd ignores keys it does not know.
  return `reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  index-version = "inmem"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[shard-precreation]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ping', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 204));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

function postQuery(port: number, q: string, admin?: InfluxdAdmin, db?: string): Promise<unknown> {
  const form: Record<string, string> = { q };
  if (db !== undefined) form['db'] = db;
  const body = new URLSearchParams(form).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (admin)
    headers['authorization'] =
      `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/query', method: 'POST', agent: false, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let answer: { error?: string; results?: Array<{ error?: string }> } | undefined;
          try {
            answer = JSON.parse(text) as typeof answer;
          } catch {
            answer = undefined;
          }
          const failed = !answer || answer.error !== undefined || answer.results?.some((r) => r.error);
          if (res.statusCode === 200 && !failed) resolve(answer);
          else reject(new Error(`influxd: ${q}: HTTP ${res.statusCode}: ${text.trim()}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

class Influxd extends ServiceProcess implements InfluxdProcess {
  url = '';
  port = 0;
  admin: InfluxdAdmin | undefined;
  private rpcPort = 0;

  constructor(
    binary: string,
    private readonly auth: boolean,
  ) {
    super(
      {
        name: 'influxd',
        binary,
        env: envWithoutInfluxdb(),
        startupTimeoutMs: 20_000,
        probeIntervalMs: 50,
        retryPortClash: true,
      },
      'daqd-influxd-',
    );
  }

  query(statement: string, database?: string): Promise<unknown> {
    return postQuery(this.port, statement, this.admin, database);
  }

  protected async prepare(): Promise<void> {
    this.port = await freePort();
    this.rpcPort = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    await writeFile(this.configFile(), configText(this.dir, this.port, this.rpcPort, this.auth));
  }

  protected args(): readonly string[] {
    return ['run', '-config', this.configFile()];
  }

  protected ready(): Promise<boolean> {
    return pingOnce(this.port);
  }

  protected override async setUp(): Promise<void> {
    if (!this.auth) return;
    this.admin = { username: 'admin', password: 'admin-secret' };
    // With auth on and no user yet, influxd lets anyone create the first admin.
    await postQuery(
      this.port,
      `CREATE USER "${this.admin.username}" WITH PASSWORD '${this.admin.password}' WITH ALL PRIVILEGES`,
    );
  }

  private configFile(): string {
    return join(this.dir, 'influxdb.conf');
  }
}

/**
 * Starts a real influxd on free 127.0.0.1 ports with a fresh temp dir and waits until `/ping` answers.
 * With `auth: true`, HTTP auth is on and an admin user (`admin`) is created.
 * Throws when the binary is missing (never a reason to skip).
 */
export async function startInfluxd(options: { auth?: boolean } = {}): Promise<InfluxdProcess> {
  const influxd = new Influxd(findInfluxd(), options.auth ?? false);
  await influxd.start();
  return influxd;
}
