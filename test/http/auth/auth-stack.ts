import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DAQD, DaemonProcess, freePort, ROOT } from '../../support/daqd.js';

/** A realm app with its HTTP API on (mqttkit: `/api/<realm>/<net>/<gw>/<node>/data`). */
export function httpApp(realm: string, extra = ''): string {
  return `[${realm}]\nenable = true\ntype = application\nrealm = ${realm}\nmqtt_topics = ${realm}/#\napplication = mqttkit\nhttp_api = true\nmetrics_logger_interval = 0\n${extra}`;
}

/** Runs `daqd passwd ARGS` with `input` on stdin. */
export async function passwd(
  args: readonly string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DAQD, 'passwd', ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * A daqd process on the embedded SQLite store and its own broker, with realm apps and an `[http]`
 * section of the test's choosing, in a temp dir.
 */
export class AuthStack {
  dir = '';
  httpPort = 0;
  config = '';
  daemon: DaemonProcess | undefined;

  constructor(
    private readonly apps: readonly string[],
    /** Extra `[http]` lines (access_file, cert_file, …); paths relative to the temp dir. */
    private readonly http: readonly string[] = [],
    private readonly listen = '127.0.0.1',
    /** Extra app lines per realm. */
    private readonly appLines: Readonly<Record<string, string>> = {},
  ) {}

  async prepare(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'daqd-auth-'));
    await mkdir(path.join(this.dir, 'apps'));
    for (const realm of this.apps)
      await writeFile(path.join(this.dir, 'apps', `${realm}.ini`), httpApp(realm, this.appLines[realm]));
    this.httpPort = await freePort();
    this.config = path.join(this.dir, 'daqd.ini');
    await writeFile(
      this.config,
      '[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = UTC\nmetrics_logger_interval = 0\n' +
        `shutdown_timeout = 5\n[http]\nlisten = ${this.listen}\nport = ${this.httpPort}\n${this.http.join('\n')}\n` +
        `[mqtt]\nembedded = true\nhost = 127.0.0.1\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n`,
    );
  }

  /** Starts daqd (with extra `daqd run` arguments) and waits until it is ready. */
  async start(args: readonly string[] = []): Promise<DaemonProcess> {
    this.daemon = new DaemonProcess(this.config, { args });
    await this.daemon.waitFor(new RegExp(`ready: ${this.apps.length} realm`), 30_000);
    return this.daemon;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
