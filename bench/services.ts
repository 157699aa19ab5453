import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { InfluxClient } from './influx-client.js';

/** A service process the benchmark started: its pid (for /proc figures) and how to stop it. */
export interface Service {
  pid: number;
  port: number;
  /** SIGTERM, wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** A real influxd (1.x) on loopback with a fresh temp dir. */
export interface InfluxService extends Service {
  url: string;
  client: InfluxClient;
}

/** A real mosquitto on loopback with a fresh temp dir. */
export interface MosquittoService extends Service {
  url: string;
}

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Children still running, killed should the benchmark exit without its teardown. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A port the OS says is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The first executable of that name in `fixed` or on PATH; throws naming the Debian package. */
export function findBinary(name: string, fixed: readonly string[], pkg: string): string {
  const candidates = [...fixed];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir) candidates.push(join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(`${name} not found: apt-get install ${pkg}`);
}

/** Spawns a service and waits until `ready()` holds; the stderr tail goes into the error otherwise. */
async function launch(
  what: string,
  binary: string,
  args: readonly string[],
  ready: () => Promise<boolean>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  live.add(child);
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (spawnError) throw new Error(`${what} did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during startup (code ${child.exitCode}); stderr:\n${tail}`);
    }
    if (await ready()) return { child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} not ready within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts mosquitto on a free 127.0.0.1 port. Queues are unbounded (a publisher may run ahead of a
 * slow subscriber without loss) and 3.1.1 subscribers get the same in-flight window, 1000, that
 * daqd asks for with MQTT 5's Receive Maximum.
 */
export async function startMosquitto(): Promise<MosquittoService> {
  const binary = findBinary('mosquitto', ['/usr/sbin/mosquitto'], 'mosquitto');
  const dir = await mkdtemp(join(tmpdir(), 'daqd-bench-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'max_queued_bytes 0',
      ...(process.env['BENCH_NO_INFLIGHT'] ? [] : ['max_inflight_messages 1000']),
      'log_dest stderr',
      'log_type error',
      // As root, mosquitto 2 would switch to the `mosquitto` user.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  const { child, stop } = await launch('mosquitto', binary, ['-c', config], () => accepts(port));
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: () => {
      stopped ??= stop().then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

function influxConfig(dir: string, httpPort: number, rpcPort: number): string {
  // The settings of the integration tests (inmem index, WAL fsync on every write as by default);
  // Debian's 1.6 and upstream spell the usage-report switch differently: both are given.
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
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
`;
}

/** Starts influxd on free 127.0.0.1 ports with a fresh temp dir; ready once `/ping` answers. */
export async function startInfluxd(): Promise<InfluxService> {
  const binary = findBinary('influxd', ['/usr/bin/influxd', '/usr/sbin/influxd'], 'influxdb');
  const dir = await mkdtemp(join(tmpdir(), 'daqd-bench-influxd-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const config = join(dir, 'influxdb.conf');
  await writeFile(config, influxConfig(dir, port, rpcPort));
  // INFLUXDB_* variables would override the file.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('INFLUXDB_')) env[key] = value;
  const url = `http://127.0.0.1:${port}`;
  const client = new InfluxClient(url);
  const { child, stop } = await launch(
    'influxd',
    binary,
    ['run', '-config', config],
    () => client.ping(),
    env,
  );
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    port,
    url,
    client,
    stop: () => {
      stopped ??= stop().then(async () => {
        client.close();
        await rm(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
