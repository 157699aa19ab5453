import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, trackChild } from './child-processes.js';
import { freePort } from './free-port.js';

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

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4096;

function findInfluxd(): string {
  const binary = findBinary('influxd', [process.env['INFLUXD'], '/usr/bin/influxd', '/usr/sbin/influxd']);
  if (binary === undefined) throw new Error('influxd not found: apt-get install influxdb');
  return binary;
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

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

class Influxd implements InfluxdProcess {
  url = '';
  port = 0;
  admin: InfluxdAdmin | undefined;
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private rpcPort = 0;
  private configFile = '';
  private stopped = false;

  constructor(
    private readonly binary: string,
    private readonly dir: string,
    private readonly auth: boolean,
  ) {}

  /** Picks ports, writes the config and starts; retries on a port taken in between. */
  async init(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.rpcPort = await freePort();
      this.url = `http://127.0.0.1:${this.port}`;
      this.configFile = join(this.dir, 'influxdb.conf');
      await writeFile(this.configFile, configText(this.dir, this.port, this.rpcPort, this.auth));
      try {
        await this.launch();
        break;
      } catch (err) {
        if (attempt >= 3 || !this.stderrTail.includes('address already in use')) throw err;
      }
    }
    if (this.auth) {
      this.admin = { username: 'admin', password: 'admin-secret' };
      // With auth on and no user yet, influxd lets anyone create the first admin.
      await postQuery(
        this.port,
        `CREATE USER "${this.admin.username}" WITH PASSWORD '${this.admin.password}' WITH ALL PRIVILEGES`,
      );
    }
  }

  query(statement: string, database?: string): Promise<unknown> {
    return postQuery(this.port, statement, this.admin, database);
  }

  private async launch(): Promise<void> {
    // INFLUXDB_* variables override the config file: keep the test's config authoritative.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env))
      if (!key.startsWith('INFLUXDB_')) env[key] = value;
    this.stderrTail = '';
    const child = spawn(this.binary, ['run', '-config', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    trackChild(child);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    // 'exit' can come before the last stderr lines are read; 'close' comes after them.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.child = child;
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`influxd did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        await closed;
        throw new Error(
          `influxd exited during startup (code ${child.exitCode}, signal ${child.signalCode}); ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      if (await pingOnce(this.port)) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
        throw new Error(
          `influxd on port ${this.port} did not answer /ping within ${STARTUP_TIMEOUT_MS} ms; ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await waitForExit(child, STOP_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('influxd: restart after stop');
    await this.halt('SIGTERM');
    await this.launch();
  }

  async kill(): Promise<void> {
    await this.halt('SIGKILL');
  }
}

/**
 * Starts a real influxd on free 127.0.0.1 ports with a fresh temp dir and waits until `/ping` answers.
 * With `auth: true`, HTTP auth is on and an admin user (`admin`) is created.
 * Throws when the binary is missing (never a reason to skip).
 */
export async function startInfluxd(options: { auth?: boolean } = {}): Promise<InfluxdProcess> {
  const binary = findInfluxd();
  const dir = await mkdtemp(join(tmpdir(), 'daqd-influxd-'));
  const influxd = new Influxd(binary, dir, options.auth ?? false);
  try {
    await influxd.init();
  } catch (err) {
    await influxd.stop();
    throw err;
  }
  return influxd;
}
