import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { scenarios } from './expect-pass.js';
import type { FaultRig } from './rig.js';
import { sleep } from './scenario.js';

const run = promisify(execFile);
const root = process.getuid?.() === 0;

/** As root: a 128 KiB tmpfs on `data_dir/spool`, so the spool's writes fail with ENOSPC. */
async function smallSpoolDisk(rig: FaultRig): Promise<void> {
  const spool = path.join(rig.dataDir, 'spool');
  await mkdir(spool);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', spool]);
  rig.onStop(async () => {
    await run('umount', [spool]);
  });
}

scenarios('faults: disk and store', [
  {
    name: root
      ? 'spool disk full (128 KiB tmpfs), influxd down 8 s'
      : 'spool full (spool_max_mb = 1; not root: no tmpfs), influxd down 8 s',
    rig: {
      broker: 'mosquitto',
      store: 'influxdb',
      ...(root ? { prepare: smallSpoolDisk } : { config: { storage: { spool_max_mb: '1' } } }),
    },
    load: { kind: 'mqtt', qos: 1 },
    rate: 500,
    async fault({ rig }) {
      await rig.influxd!.kill();
      await sleep(8000);
      await rig.influxd!.restart();
    },
    settle: 60_000,
  },
  {
    name: 'corrupt SQLite store, moved aside while daqd runs',
    rig: {
      broker: 'embedded',
      store: 'sqlite',
      async prepare(rig) {
        await mkdir(path.dirname(rig.sqliteFile), { recursive: true });
        await writeFile(rig.sqliteFile, Buffer.alloc(64 * 1024, 'not a database '));
      },
    },
    load: { kind: 'mqtt', qos: 1 },
    async fault({ rig, note, fail }) {
      await sleep(3000);
      const health = await rig.health();
      const storage = health?.body['storage'] as { ok?: boolean } | undefined;
      const seen = health ? `HTTP ${health.status}, storage.ok ${storage?.ok}` : 'no answer';
      // A damaged store is no outage to ride out: /health says so.
      if (health?.status !== 503 || storage?.ok !== false) fail(`/health with the corrupt store: ${seen}`);
      else note(`/health with the corrupt store: ${seen}`);
      // The operator moves the broken file aside while daqd runs: daqd starts a new one and writes
      // the spooled readings there.
      const dir = path.dirname(rig.sqliteFile);
      for (const name of await readdir(dir)) {
        if (name.startsWith(path.basename(rig.sqliteFile)))
          await rename(path.join(dir, name), path.join(dir, `${name}.broken`));
      }
    },
  },
  {
    name: 'corrupt broker session store (data_dir/broker), embedded broker',
    rig: {
      broker: 'embedded',
      store: 'sqlite',
      async prepare(rig) {
        // A LevelDB folder whose CURRENT names a manifest that is not there.
        const broker = path.join(rig.dataDir, 'broker');
        await mkdir(broker, { recursive: true });
        await writeFile(path.join(broker, 'CURRENT'), 'MANIFEST-000042\n');
        await writeFile(path.join(broker, 'LOCK'), '');
      },
    },
    load: { kind: 'mqtt', qos: 1 },
    async fault() {
      await sleep(2000);
    },
  },
]);
