import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../lib/cli/heap-limit.js';
import { freePort } from './free-port.js';

export { freePort };

/** The repository root and the CLI shim (runs the compiled `dist/`; `npm test` builds first). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DAQD = path.join(ROOT, 'bin/daqd');

/** Runs `daqd ARGS` to completion. */
export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DAQD, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The environment without the caller's DAQD_ and KOTORI_ variables, so tests see only their own. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DAQD_') && !k.startsWith('KOTORI_')) env[k] = v;
  }
  return env;
}

/** A daemon started as a child process, with its output collected. */
export class DaemonProcess {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(
    configFile: string,
    options: { env?: NodeJS.ProcessEnv; args?: readonly string[]; cwd?: string } = {},
  ) {
    // With the node options it runs with in production, so a test that would run it out of heap fails.
    this.child = spawn(
      process.execPath,
      [...NODE_FLAGS, DAQD, 'run', '--config', configFile, ...(options.args ?? [])],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...cleanEnv(), ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const collect = (d: Buffer) => {
      this.output += d.toString();
      if (process.env['DAQD_TEST_VERBOSE']) process.stderr.write(d);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits until the output matches `pattern` (counting matches after `from` characters). */
  async waitFor(pattern: RegExp, timeout = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match !== null) return match[0];
      if (this.child.exitCode !== null) {
        throw new Error(`daqd exited (${this.child.exitCode}) before ${pattern}; output:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code. */
  exit(): Promise<number | null> {
    return this.exited;
  }

  /** SIGTERM and wait (SIGKILL after `timeout`); safe to call when already exited. */
  async stop(timeout = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
