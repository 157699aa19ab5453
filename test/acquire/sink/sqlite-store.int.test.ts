import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { SqliteSink } from '../../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../../lib/core/log.js';
import { DaemonProcess, freePort, ROOT, runCli } from '../../support/daqd.js';
import { eventually } from '../../support/eventually.js';

const run = promisify(execFile);

interface Health {
  ok: boolean;
  storage: { ok: boolean; damage?: string[]; spooled_bytes: number };
}

/** File descriptors the process holds right now. */
function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The `value`s stored for a network of realm `hiverize` (node area-42/node-1), read through the sink. */
async function storedValues(sink: SqliteSink, network: string): Promise<number[]> {
  const result = await sink.query({
    database: `hiverize_${network}`,
    measurement: 'area_42_node_1_sensors',
    from: 0n,
    to: 2n ** 62n,
  });
  const column = result.columns.indexOf('value');
  const values: number[] = [];
  for await (const row of result.rows) values.push(row[column + 1] as number);
  return values;
}

/** Runs `task` on each item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

describe('embedded store in a running daqd: open files and damaged files', function () {
  this.timeout(180_000);
  let dir: string;
  let config: string;
  let dataDir: string;
  let httpPort: number;
  let daemon: DaemonProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-sqlite-store-'));
    dataDir = path.join(dir, 'var');
    await mkdir(path.join(dir, 'apps-enabled'));
    await symlink(
      path.join(ROOT, 'apps-available', 'hiverize.ini'),
      path.join(dir, 'apps-enabled', 'hiverize.ini'),
    );
    httpPort = await freePort();
    config = path.join(dir, 'daqd.ini');
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(storage = ''): Promise<DaemonProcess> {
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `shutdown_timeout = 5\n[http]\nport = ${httpPort}\n` +
        `[mqtt]\nembedded = true\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n${storage}`,
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/, 20_000);
    return daemon;
  }

  const api = (network: string, what: string) =>
    `http://127.0.0.1:${httpPort}/api/hiverize/${network}/area-42/node-1/${what}`;

  async function post(network: string, value: number): Promise<number> {
    const response = await fetch(api(network, 'data'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function health(): Promise<{ status: number; body: Health }> {
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
    return { status: response.status, body: (await response.json()) as Health };
  }

  /** Every network's one reading is in its own database (daqd stopped first, so the files are at rest). */
  async function expectAllStored(networks: readonly string[]): Promise<void> {
    const code = await daemon?.stop();
    expect(code).to.equal(0);
    const sink = new SqliteSink({ dataDir, log: silentLog(), maxOpen: 8 });
    await sink.start();
    try {
      const missing: string[] = [];
      for (const [i, network] of networks.entries()) {
        const values = await storedValues(sink, network);
        if (values.length !== 1 || values[0] !== i) missing.push(`${network}: ${JSON.stringify(values)}`);
      }
      expect(missing, 'networks without their reading').to.deep.equal([]);
    } finally {
      await sink.stop();
    }
  }

  it('keeps its file descriptors bounded while 1,000 networks are written (default max_open_databases)', async () => {
    const d = await start();
    const pid = d.pid as number;
    const before = openFds(pid);
    const networks = Array.from({ length: 1000 }, (_, i) => `net${i}`);
    let most = before;
    const sampler = setInterval(() => {
      most = Math.max(most, openFds(pid));
    }, 20);
    try {
      await eachLimited([...networks.keys()], 8, async (i) => {
        expect(await post(networks[i] as string, i)).to.equal(200);
      });
    } finally {
      clearInterval(sampler);
    }
    most = Math.max(most, openFds(pid));
    // 128 databases open at most (three descriptors each), plus some for requests and the spool.
    expect(most - before, `fds: ${before} before, ${most} at most`).to.be.at.most(3 * 128 + 40);
    expect((await health()).body.ok).to.equal(true);
    expect(d.output).not.to.match(/EMFILE|too many open files/i);
    await expectAllStored(networks);
  });

  it('survives running out of file descriptors (EMFILE): every reading stored', async () => {
    // A limit far above what the process may hold: only the descriptor limit stops it.
    const d = await start('max_open_databases = 5000\n');
    const pid = d.pid as number;
    // 60 descriptors to spare: room for about 20 databases.
    const limit = openFds(pid) + 60;
    await run('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]);
    const networks = Array.from({ length: 300 }, (_, i) => `net${i}`);
    await eachLimited([...networks.keys()], 4, async (i) => {
      expect(await post(networks[i] as string, i)).to.equal(200);
    });
    expect(openFds(pid)).to.be.at.most(limit);
    // Nothing waits in the spool for a database that cannot be opened.
    await eventually('an empty spool', async () =>
      (await health()).body.storage.spooled_bytes === 0 ? true : undefined,
    );
    await expectAllStored(networks);
    expect(d.output).to.match(/cannot open \(unable to open database file\); closing \d+ idle database\(s\)/);
  });

  for (const damage of ['garbage', 'truncated'] as const) {
    it(`takes a ${damage} database file for damage: /health not ok with the reason, readings spooled until it is replaced`, async () => {
      const file = path.join(dataDir, 'sqlite', 'hiverize_testdrive.sqlite');
      await mkdir(path.dirname(file), { recursive: true });
      if (damage === 'garbage') {
        await writeFile(file, Buffer.alloc(64 * 1024, 'not a database; '));
      } else {
        // A real store file cut in half, as a full disk or a careless copy leaves it.
        const sink = new SqliteSink({ dataDir, log: silentLog() });
        await sink.start();
        const points = Array.from({ length: 20_000 }, (_, i) => ({
          measurement: 'area_42_node_1_sensors',
          tags: {},
          fields: { value: -1, padding: 'x'.repeat(40) },
          time: BigInt(i + 1),
        }));
        await sink.write('hiverize_testdrive', points);
        await sink.stop();
        await truncate(file, Math.floor((await stat(file)).size / 2));
      }
      const d = await start();

      for (let i = 0; i < 3; i++) expect(await post('testdrive', i)).to.equal(200);
      const unhealthy = await eventually('the damage in /health', async () => {
        const answer = await health();
        return answer.status === 503 ? answer : undefined;
      });
      expect(unhealthy.body.ok).to.equal(false);
      expect(unhealthy.body.storage.ok).to.equal(false);
      expect(unhealthy.body.storage.damage).to.have.length(1);
      expect(unhealthy.body.storage.damage?.[0]).to.contain(file).and.to.contain('corrupt');
      expect(unhealthy.body.storage.spooled_bytes).to.be.above(0);

      // Export: the store is damaged, not briefly away.
      const exported = await fetch(`${api('testdrive', 'data.json')}?from=0`);
      expect(exported.status).to.equal(500);
      expect(((await exported.json()) as { message: string }).message).to.contain('damaged');

      const check = await runCli(['check', '--config', config]);
      expect(check.code).to.equal(65);
      expect(check.stderr).to.contain(`${file}: corrupt: `);

      // Retried in the background meanwhile, and still named once in the log.
      await new Promise((r) => setTimeout(r, 1500));
      // (The failed export request above has a line of its own, as every 5xx answer has.)
      const lines = d.output
        .split('\n')
        .filter((line) => line.includes('is corrupt') && !line.includes('[daqd:http]'));
      expect(lines, d.output).to.have.length(1);
      expect(lines[0]).to.contain(file);
      // Kept in the spool, not taken for rejected points.
      expect(existsSync(path.join(dataDir, 'dead-letter', 'hiverize_testdrive.ndjson'))).to.equal(false);

      // The operator moves the file aside: daqd starts a new one and writes the spooled readings.
      await rename(file, `${file}.corrupt`);
      await rm(`${file}-wal`, { force: true });
      await rm(`${file}-shm`, { force: true });
      const values = await eventually(
        'the spooled readings written after the file was replaced',
        async () => {
          const rows = await fetch(`${api('testdrive', 'data.json')}?from=0`);
          if (rows.status !== 200) return undefined;
          const found = ((await rows.json()) as { value: number }[]).map((r) => r.value);
          return found.length === 3 ? found : undefined;
        },
        45_000,
      );
      expect(values).to.deep.equal([0, 1, 2]);
      const healthy = await health();
      expect(healthy.status).to.equal(200);
      expect(healthy.body.storage.damage).to.equal(undefined);
      expect(d.output).to.contain("database 'hiverize_testdrive': writable again");
    });
  }
});
