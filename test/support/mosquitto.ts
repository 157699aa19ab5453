import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { requireBinary } from './child-processes.js';
import { freePort } from './free-port.js';
import { ServiceProcess } from './service-process.js';

export { freePort };

/** A real mosquitto on a loopback port with its own temp dir (config, persistence). */
export interface MosquittoProcess {
  /** Listener port on 127.0.0.1. */
  port: number;
  /** e.g. `mqtt://127.0.0.1:40123`. */
  url: string;
  /** Process id while running, else 0. */
  readonly pid: number;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stop (SIGTERM: mosquitto saves its persistence file) and start again on the same port and data. */
  restart(): Promise<void>;
}

/** Options of `startMosquitto`. */
export interface MosquittoOptions {
  /**
   * Extra mosquitto.conf lines, appended after the defaults. For a single-valued option the last
   * line wins (e.g. `persistence false`, `max_queued_messages 0` replace the defaults).
   */
  config?: readonly string[];
  /** Users (name → password) written with `mosquitto_passwd`; anonymous access is then off. */
  users?: Readonly<Record<string, string>>;
  /** Use this port instead of a free one (e.g. to start a broker where a client already retries). */
  port?: number;
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

class Mosquitto extends ServiceProcess implements MosquittoProcess {
  port = 0;
  url = '';
  private authLines: readonly string[] | undefined;

  constructor(
    binary: string,
    private readonly options: MosquittoOptions,
  ) {
    // A fixed port cannot be swapped for another when it is taken.
    const retryPortClash = options.port === undefined;
    super(
      { name: 'mosquitto', binary, startupTimeoutMs: 10_000, probeIntervalMs: 25, retryPortClash },
      'daqd-mosquitto-',
    );
  }

  protected async prepare(): Promise<void> {
    this.authLines ??= await this.writeUsers();
    this.port = this.options.port ?? (await freePort());
    this.url = `mqtt://127.0.0.1:${this.port}`;
    await writeFile(this.configFile(), this.configText(this.authLines, this.options.config ?? []));
  }

  protected args(): readonly string[] {
    return ['-c', this.configFile()];
  }

  protected ready(): Promise<boolean> {
    return accepts(this.port);
  }

  private configFile(): string {
    return join(this.dir, 'mosquitto.conf');
  }

  /** Writes the password file when there are users; the config lines that say who may connect. */
  private async writeUsers(): Promise<readonly string[]> {
    if (!this.options.users) return ['allow_anonymous true'];
    const passwd = requireBinary(
      'mosquitto_passwd',
      [join(dirname(this.spec.binary), '..', 'bin', 'mosquitto_passwd')],
      'mosquitto',
    );
    const file = join(this.dir, 'passwd');
    await writePasswords(passwd, file, this.options.users);
    return ['allow_anonymous false', `password_file ${file}`];
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
}

/**
 * Starts a real mosquitto on a free 127.0.0.1 port with a fresh temp dir (persistence on, large
 * queues) and waits until the port accepts connections. Throws when the binary is missing
 * (never a reason to skip).
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoProcess> {
  const binary = requireBinary('mosquitto', [process.env['MOSQUITTO'], '/usr/sbin/mosquitto'], 'mosquitto');
  const mosquitto = new Mosquitto(binary, options);
  await mosquitto.start();
  return mosquitto;
}
