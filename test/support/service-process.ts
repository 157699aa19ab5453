import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from './child-processes.js';

/** What every service started by `ServiceProcess` is told at construction. */
export interface ServiceSpec {
  /** Name in error messages, e.g. `influxd`. */
  name: string;
  /** Path of the executable. */
  binary: string;
  /** Environment of the child; the parent's when undefined. */
  env?: NodeJS.ProcessEnv;
  /** How long `ready()` may take to hold after the spawn, in ms. */
  startupTimeoutMs: number;
  /** Pause between two `ready()` probes, in ms. */
  probeIntervalMs: number;
  /** Whether a start that lost a race for its port is tried again with fresh ports (3 attempts). */
  retryPortClash: boolean;
}

const STOP_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4096;
const START_ATTEMPTS = 3;

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

/**
 * One real service (influxd, mosquitto, …) as a child process with a temp dir of its own:
 * `start()` creates the dir, lets the subclass write its files, spawns and probes until ready;
 * `stop()` sends SIGTERM (SIGKILL after 10 s) and removes the dir. Subclasses say how to prepare,
 * run and probe the service.
 */
export abstract class ServiceProcess {
  /** The temp dir (config, data); set by `start()`, removed by `stop()`. */
  protected dir = '';
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private stopped = false;

  constructor(
    protected readonly spec: ServiceSpec,
    /** Prefix of the temp dir's name, e.g. `daqd-influxd-`. */
    private readonly dirPrefix: string,
  ) {}

  /** Process id of the running child, 0 when none runs. */
  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Picks ports and writes the files the service reads into `dir`; runs again before a retry. */
  protected abstract prepare(): Promise<void>;

  /** Command-line arguments of the service. */
  protected abstract args(): readonly string[];

  /** True once the service answers (one probe, never throws). */
  protected abstract ready(): Promise<boolean>;

  /** Runs once after the first successful start (e.g. to create users). */
  protected async setUp(): Promise<void> {}

  /**
   * Creates the temp dir, prepares, spawns and waits until ready; retries with fresh ports when the
   * service lost its port to someone else in between. On failure everything is stopped and removed.
   */
  async start(): Promise<void> {
    try {
      this.dir = await mkdtemp(join(tmpdir(), this.dirPrefix));
      for (let attempt = 1; ; attempt++) {
        await this.prepare();
        try {
          await this.launch();
          break;
        } catch (err) {
          const clash = /address already in use/i.test(this.stderrTail);
          if (!this.spec.retryPortClash || attempt >= START_ATTEMPTS || !clash) throw err;
        }
      }
      await this.setUp();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt('SIGTERM');
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Stop the process (SIGTERM, if running) and start it again on the same files and ports. */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`${this.spec.name}: restart after stop`);
    await this.halt('SIGTERM');
    await this.launch();
  }

  /** SIGKILL, wait for exit; files and ports are kept so `restart()` brings it back. */
  async kill(): Promise<void> {
    await this.halt('SIGKILL');
  }

  private async launch(): Promise<void> {
    const { name, binary, env, startupTimeoutMs, probeIntervalMs } = this.spec;
    this.stderrTail = '';
    const child = spawn(binary, this.args(), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: env ?? process.env,
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
    const deadline = Date.now() + startupTimeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`${name} did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        await closed;
        throw new Error(
          `${name} exited during startup (code ${child.exitCode}, signal ${child.signalCode}); ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      if (await this.ready()) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
        throw new Error(
          `${name} was not ready within ${startupTimeoutMs} ms (${binary} ${this.args().join(' ')}); ` +
            `stderr tail:\n${this.stderrTail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, probeIntervalMs));
    }
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await waitForExit(child, STOP_TIMEOUT_MS);
  }
}
