import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { StorageError } from '../../lib/core/errors.js';
import { CsvHeaderStore } from '../../lib/http/csv-header-store.js';

describe('CsvHeaderStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-csv-headers-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('knows no header at first, then the one set, also in a new instance (after a restart)', async () => {
    const store = new CsvHeaderStore({ dataDir: dir });
    expect(await store.get('wan_testdrive/gw_node_sensors')).to.equal(undefined);
    await store.set('wan_testdrive/gw_node_sensors', { fields: ['time', 'weight'] });
    await store.set('wan_beelogger/gw_node_sensors', {
      fields: ['Datum', 'Uhrzeit', 'Gewicht'],
      fuse: { date: 'Datum', time: 'Uhrzeit', zone: 'Z' },
    });
    expect(await store.get('wan_testdrive/gw_node_sensors')).to.deep.equal({
      fields: ['time', 'weight'],
      fuse: undefined,
    });

    const again = new CsvHeaderStore({ dataDir: dir });
    expect(await again.get('wan_testdrive/gw_node_sensors')).to.deep.equal({
      fields: ['time', 'weight'],
      fuse: undefined,
    });
    expect(await again.get('wan_beelogger/gw_node_sensors')).to.deep.equal({
      fields: ['Datum', 'Uhrzeit', 'Gewicht'],
      fuse: { date: 'Datum', time: 'Uhrzeit', zone: 'Z' },
    });
    const file = JSON.parse(await readFile(path.join(dir, 'http', 'csv-headers.json'), 'utf8')) as {
      version: number;
      headers: Record<string, { updated: string }>;
    };
    expect(file.version).to.equal(1);
    expect(Object.keys(file.headers).sort()).to.deep.equal([
      'wan_beelogger/gw_node_sensors',
      'wan_testdrive/gw_node_sensors',
    ]);
  });

  it('replaces a header and keeps concurrent writes of different channels', async () => {
    const store = new CsvHeaderStore({ dataDir: dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`db/m${i}`, { fields: [`f${i}`] })));
    await store.set('db/m3', { fields: ['new'] });
    const again = new CsvHeaderStore({ dataDir: dir });
    for (let i = 0; i < 20; i++) {
      expect((await again.get(`db/m${i}`))?.fields).to.deep.equal(i === 3 ? ['new'] : [`f${i}`]);
    }
  });

  it('hands out copies: changing one does not change what is stored', async () => {
    const store = new CsvHeaderStore({ dataDir: dir });
    await store.set('k', { fields: ['a'] });
    (await store.get('k'))?.fields.push('b');
    expect((await store.get('k'))?.fields).to.deep.equal(['a']);
  });

  it('fails with a StorageError when the file is not a header file or cannot be written', async () => {
    await mkdir(path.join(dir, 'http'));
    await writeFile(path.join(dir, 'http', 'csv-headers.json'), 'not json');
    let thrown: unknown;
    try {
      await new CsvHeaderStore({ dataDir: dir }).get('k');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(StorageError);
    expect((thrown as Error).message).to.match(/is not a CSV header file/);

    // The temporary file's name taken by a directory: the write fails (also as root).
    const other = path.join(dir, 'other');
    await mkdir(path.join(other, 'http', `csv-headers.json.${process.pid}.tmp`), { recursive: true });
    thrown = undefined;
    try {
      await new CsvHeaderStore({ dataDir: other }).set('k', { fields: ['a'] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(StorageError);
    expect((thrown as Error).message).to.match(/cannot write CSV headers/);
  });
});
