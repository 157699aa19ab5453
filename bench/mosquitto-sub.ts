import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { forgetSession } from './mqtt-wire.js';
import { findBinary } from './services.js';
import { sleep } from './stats.js';

/** Where Debian's mosquitto-clients puts it. */
const DEBIAN_PATH = '/usr/bin/mosquitto_sub';

/** The path of `mosquitto_sub`; throws naming the Debian package when it is not installed. */
export function mosquittoSubBinary(): string {
  return findBinary('mosquitto_sub', [DEBIAN_PATH], 'mosquitto-clients');
}

function run(binary: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 10_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`mosquitto_sub ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

/** Socket inodes a process holds open (`socket:[N]` links in /proc/<pid>/fd). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** True once `pid` holds an ESTABLISHED TCP connection to 127.0.0.1:`port` (/proc/net/tcp). */
function connectedTo(pid: number, port: number): boolean {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return false;
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (fields[2] === remote && fields[3] === '01' && inodes.has(fields[9] ?? '')) return true;
  }
  return false;
}

/**
 * The broker ceiling's second subscriber: Debian's `mosquitto_sub` (C, libmosquitto), QoS 1, MQTT
 * 3.1.1 like the bare subscriber, so the broker's `max_inflight_messages` is its receive window too;
 * the payloads go to /dev/null. Its session is persistent (`-c`, a fixed client id) and subscribed
 * once in `start()` (`-E`: exit after the SUBACK), so every run's `mosquitto_sub -C <count>` finds
 * its subscription in place and nothing published is missed while it connects.
 */
export class MosquittoSubscriber {
  private readonly binary = mosquittoSubBinary();
  private port = 0;
  private filter = '';
  private readonly clientId = `bench-mosquitto-sub-${process.pid}`;
  private child: ChildProcess | undefined;

  /** Creates the persistent session with its subscription to `filter` at QoS 1. */
  async start(port: number, filter: string): Promise<void> {
    this.port = port;
    this.filter = filter;
    await run(this.binary, this.args(['-E']));
  }

  /**
   * Starts `mosquitto_sub -C count` and waits until it is connected to the broker. `exited` resolves
   * with the `performance.now()` at which it exited, having received `count` messages (wrapped in an
   * object: an async function's returned promise would be awaited along with it).
   */
  async arm(count: number): Promise<{ exited: Promise<number> }> {
    let stderr = '';
    const child = spawn(this.binary, this.args(['-C', String(count)]), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4096);
    });
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        const at = performance.now();
        this.child = undefined;
        if (code === 0) resolve(at);
        else
          reject(
            new Error(`mosquitto_sub exited (${code ?? signal}) before ${count} messages: ${stderr.trim()}`),
          );
      });
    });
    // Nothing is lost before this (the session queues), but the clock should not run while it starts.
    const deadline = performance.now() + 10_000;
    while (child.pid !== undefined && !connectedTo(child.pid, this.port)) {
      if (child.exitCode !== null) break;
      if (performance.now() > deadline) {
        exited.catch(() => {}); // rejected by the kill below; this error is the one to report
        child.kill('SIGKILL');
        throw new Error(`mosquitto_sub did not connect within 10 s: ${stderr.trim()}`);
      }
      await sleep(2);
    }
    // The CONNECT follows the TCP connection at once; a little for the broker to resume the session.
    await sleep(20);
    return { exited };
  }

  /** Kills a `mosquitto_sub` still running and discards the session on the broker. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (this.port !== 0) await forgetSession(this.port, this.clientId);
    this.port = 0;
  }

  private args(extra: readonly string[]): string[] {
    // -c: persistent session; -q 1: QoS 1 subscription. Each payload is printed, to /dev/null.
    return [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-i',
      this.clientId,
      '-c',
      '-q',
      '1',
      '-V',
      'mqttv311',
      '-t',
      this.filter,
      ...extra,
    ];
  }
}
