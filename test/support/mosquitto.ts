import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary, trackChild } from './child-processes.js';
import { freePort } from './free-port.js';

export { freePort };

/** A real mosquitto on a loopback port with its own temp dir (config, persistence). */
export interface MosquittoProcess {
  /** Listener port on 127.0.0.1. */
  port: number;
  /** e.g. `mqtt://127.0.0.1:40123`. */
  url: string;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stop (SIGTERM: mosquitto saves its persistence file) and start again on the same port and data. */
  restart(): Promise<void>;
}

/** Options of `startMosquitto`. */
export interface MosquittoOptions {
  /** Extra mosquitto.conf lines, appended after the defaults. */
  config?: readonly string[];
  /** Users (name → password) written with `mosquitto_passwd`; anonymous access is then off. */
  users?: Readonly<Record<string, string>>;
  /** Use this port instead of a free one (e.g. to start a broker where a client already retries). */
  port?: number;
}

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4096;

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

function run(binary: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, (err) => (err ? reject(err) : resolve()));
  });
}

async function writePasswords(
  binary: string,
  file: string,
  users: Readonly<Record<string, string>>,
): Promise<void> {
  let create = true;
  for (const [user, password] of Object.entries(users)) {
    // -c creates the file (first user only); -b takes the password from the command line.
    await run(binary, create ? ['-c', '-b', file, user, password] : ['-b', file, user, password]);
    create = false;
  }
}

class Mosquitto implements MosquittoProcess {
  port = 0;
  url = '';
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private stopped = false;
  private readonly configFile: string;

  constructor(
    private readonly binary: string,
    private readonly dir: string,
  ) {
    this.configFile = join(dir, 'mosquitto.conf');
  }

  async init(options: MosquittoOptions): Promise<void> {
    const lines: string[] = [];
    if (options.users) {
      const passwd = findBinary('mosquitto_passwd', [
        join(dirname(this.binary), '..', 'bin', 'mosquitto_passwd'),
      ]);
      if (!passwd) throw new Error('mosquitto_passwd not found: apt-get install mosquitto');
      const file = join(this.dir, 'passwd');
      await writePasswords(passwd, file, options.users);
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else {
      lines.push('allow_anonymous true');
    }
    for (let attempt = 1; ; attempt++) {
      this.port = options.port ?? (await freePort());
      this.url = `mqtt://127.0.0.1:${this.port}`;
      await writeFile(this.configFile, this.configText(lines, options.config ?? []));
      try {
        await this.launch();
        return;
      } catch (err) {
        // Someone took the port between freePort() and mosquitto's bind: pick another.
        if (options.port !== undefined || attempt >= 3 || !this.stderrTail.includes('Address already in use'))
          throw err;
      }
    }
  }

  private configText(auth: readonly string[], extra: readonly string[]): string {
    return [
      `listener ${this.port} 127.0.0.1`,
      ...auth,
      'persistence true',
      // The trailing slash matters: mosquitto appends the file name to this string.
      `persistence_location ${this.dir}/`,
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // As root, mosquitto 2 switches to the `mosquitto` user, which cannot write our temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      ...extra,
      '',
    ].join('\n');
  }

  private async launch(): Promise<void> {
    this.stderrTail = '';
    const child = spawn(this.binary, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(child);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.child = child;
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`mosquitto did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `mosquitto exited during startup (code ${child.exitCode}, signal ${child.signalCode}); ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      if (await accepts(this.port)) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
        throw new Error(
          `mosquitto on port ${this.port} did not accept connections within ${STARTUP_TIMEOUT_MS} ms; ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async halt(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child, STOP_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt();
    await rm(this.dir, { recursive: true, force: true });
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('mosquitto: restart after stop');
    await this.halt();
    await this.launch();
  }
}

/**
 * Starts a real mosquitto on a free 127.0.0.1 port with a fresh temp dir (persistence on, large
 * queues) and waits until the port accepts connections. Throws when the binary is missing
 * (never a reason to skip).
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoProcess> {
  const binary = findBinary(
    'mosquitto',
    [process.env['MOSQUITTO'] ?? '', '/usr/sbin/mosquitto'].filter(Boolean),
  );
  if (!binary) throw new Error('mosquitto not found: apt-get install mosquitto');
  const dir = await mkdtemp(join(tmpdir(), 'daqd-mosquitto-'));
  const mosquitto = new Mosquitto(binary, dir);
  try {
    await mosquitto.init(options);
  } catch (err) {
    await mosquitto.stop();
    throw err;
  }
  return mosquitto;
}
