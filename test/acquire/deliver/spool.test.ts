import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Spool, type SpooledBatch } from '../../../lib/acquire/deliver/spool.js';
import { StorageError } from '../../../lib/core/errors.js';
import { type Log, silentLog } from '../../../lib/core/log.js';
import type { Point } from '../../../lib/core/point.js';

const T = 1583810982123456789n;

/** A log that keeps its error lines. */
function recordingLog(): Log & { errors: string[] } {
  const errors: string[] = [];
  const log = { ...silentLog(), errors, error: (m: string) => errors.push(m) };
  return { ...log, child: () => log };
}

function points(n: number, tag = 'x', start = T): Point[] {
  return Array.from({ length: n }, (_, i) => ({
    measurement: 'area_42_node_1_sensors',
    tags: { node: tag },
    fields: { temperature: 20 + i / 10, label: `reading ${i}` },
    time: start + BigInt(i),
  }));
}

async function drain(spool: Spool, database: string): Promise<SpooledBatch[]> {
  const out: SpooledBatch[] = [];
  for (;;) {
    const batch = await spool.oldest(database);
    if (batch === undefined) return out;
    out.push(batch);
    await spool.remove(batch);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('acquire/deliver/spool', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'daqd-spool-'));
    dir = path.join(root, 'spool');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function started(maxBytes = 1e9, log: Log = silentLog()): Promise<Spool> {
    const spool = new Spool({ dir, maxBytes, log });
    expect(await spool.start()).to.deep.equal([]);
    return spool;
  }

  it('gives back appended batches oldest first, exactly as appended', async () => {
    const spool = await started();
    const first: Point[] = [
      {
        measurement: 'weird "measurement", with\nnewline',
        tags: { geohash: 'u0yjjd6', 'with space': 'a,b=c', quote: '"\'\\', unicode: 'Grüße 🐝 ∑' },
        fields: {
          third: 0.1 + 0.2,
          tenth: 0.1,
          tiny: 1e-300,
          negativeTiny: -5e-324,
          huge: 1.7976931348623157e308,
          big: 2 ** 53 + 2,
          negative: -42.5,
          zero: 0,
          text: 'say "hi"\n\ttab \\ back\u0000nul',
          lone: '\ud800 lone surrogate',
          empty: '',
          yes: true,
          no: false,
        },
        time: T,
      },
      { measurement: 'm', tags: {}, fields: { v: -1 }, time: -1_000_000_001n },
      { measurement: 'm', tags: {}, fields: { v: 1 }, time: 9_223_372_036_854_775_807n },
    ];
    const second: Point[] = [
      // JSON has no NaN, Infinity or -0: they still come back exactly.
      {
        measurement: 'm',
        tags: {},
        fields: { nan: Number.NaN, inf: Infinity, ninf: -Infinity, nzero: -0 },
        time: 0n,
      },
    ];
    const third = points(3000);
    expect(await spool.append('hiveeyes_test', first)).to.equal(true);
    expect(await spool.append('hiveeyes_test', second)).to.equal(true);
    expect(await spool.append('hiveeyes_test', third)).to.equal(true);

    const batches = await drain(spool, 'hiveeyes_test');
    expect(batches.map((b) => b.id)).to.deep.equal([1, 2, 3]);
    expect(batches.map((b) => b.database)).to.deep.equal(['hiveeyes_test', 'hiveeyes_test', 'hiveeyes_test']);
    expect(batches[0]?.points).to.deep.equal(first);
    expect(batches[2]?.points).to.deep.equal(third);
    const special = batches[1]?.points[0]?.fields;
    expect(special?.['nan']).to.be.NaN;
    expect(special?.['inf']).to.equal(Infinity);
    expect(special?.['ninf']).to.equal(-Infinity);
    expect(Object.is(special?.['nzero'], -0)).to.equal(true);
    expect(batches[0]?.points[0]?.time).to.be.a('bigint');
    // 0.1 + 0.2 is not 0.3: the double came back bit for bit.
    expect(batches[0]?.points[0]?.fields['third']).to.equal(0.30000000000000004);
  });

  it('writes <id>.json files of the documented format in a folder per database', async () => {
    const spool = await started();
    await spool.append('hiveeyes_test', points(2));
    const folder = path.join(dir, 'hiveeyes_test');
    expect(await readdir(folder)).to.deep.equal(['000000000001.json']);
    const text = await readFile(path.join(folder, '000000000001.json'), 'utf8');
    const doc = JSON.parse(text);
    expect(doc.database).to.equal('hiveeyes_test');
    expect(doc.points[1]).to.deep.equal({
      measurement: 'area_42_node_1_sensors',
      tags: { node: 'x' },
      fields: { temperature: 20.1, label: 'reading 1' },
      time: '1583810982123456790',
    });
    expect(spool.bytes).to.equal(Buffer.byteLength(text));
  });

  it('remove() deletes the file, and oldest() then gives the next batch', async () => {
    const spool = await started();
    await spool.append('db', points(1, 'a'));
    await spool.append('db', points(2, 'b'));
    const sizes = await Promise.all(
      ['000000000001.json', '000000000002.json'].map(async (n) => (await stat(path.join(dir, 'db', n))).size),
    );
    expect(spool.bytes).to.equal(sizes[0]! + sizes[1]!);

    const a = await spool.oldest('db');
    expect(a?.points[0]?.tags['node']).to.equal('a');
    expect(a?.bytes).to.equal(sizes[0]);
    // oldest() does not consume: asked again, it is the same batch.
    expect((await spool.oldest('db'))?.id).to.equal(a?.id);
    await spool.remove(a!);
    expect(await exists(path.join(dir, 'db', '000000000001.json'))).to.equal(false);
    expect(spool.bytes).to.equal(sizes[1]);

    const b = await spool.oldest('db');
    expect(b?.id).to.equal(2);
    expect(b?.points[0]?.tags['node']).to.equal('b');
    await spool.remove(b!);
    expect(spool.bytes).to.equal(0);
    expect(await spool.oldest('db')).to.equal(undefined);
    expect(await spool.oldest('never-seen')).to.equal(undefined);
  });

  it('holds() is true from the call of append() until release() succeeds', async () => {
    const spool = await started();
    expect(spool.holds('db')).to.equal(false);
    const appending = spool.append('db', points(10));
    expect(spool.holds('db')).to.equal(true);
    expect(spool.holds('other')).to.equal(false);
    expect(spool.release('db')).to.equal(false); // append under way
    expect(await appending).to.equal(true);
    expect(spool.holds('db')).to.equal(true);
    expect(spool.release('db')).to.equal(false); // a batch on disk
    await spool.remove((await spool.oldest('db'))!);
    expect(spool.holds('db')).to.equal(true); // empty, but not released yet
    expect(spool.release('db')).to.equal(true);
    expect(spool.holds('db')).to.equal(false);
    expect(spool.release('db')).to.equal(true);
  });

  it('keeps call order when many appends run at once, whatever order their writes finish in', async () => {
    const spool = await started();
    // Sizes vary (the large ones take longer to write), so writes need not finish in call order.
    const batches = Array.from({ length: 50 }, (_, i) => points(i % 3 === 0 ? 4000 : 1, `b${i}`));
    const appends = batches.map((b) => spool.append('db', b));
    expect(spool.holds('db')).to.equal(true);
    // Asked while the writes are under way, oldest() waits for the first append rather than skip it.
    const first = await spool.oldest('db');
    expect(first?.id).to.equal(1);
    expect(first?.points[0]?.tags['node']).to.equal('b0');
    expect(await Promise.all(appends)).to.deep.equal(batches.map(() => true));

    const out = await drain(spool, 'db');
    expect(out.map((b) => b.id)).to.deep.equal(batches.map((_, i) => i + 1));
    expect(out.map((b) => b.points[0]?.tags['node'])).to.deep.equal(batches.map((_, i) => `b${i}`));
    expect(out.map((b) => b.points.length)).to.deep.equal(batches.map((b) => b.length));
    expect(spool.bytes).to.equal(0);
    expect(spool.release('db')).to.equal(true);
  });

  it('after a restart, start() finds the batches in order and new ids follow the highest', async () => {
    const before = await started();
    await before.append('db_a', points(1, 'a1'));
    await before.append('db_b', points(1, 'b1'));
    await before.append('db_a', points(2, 'a2'));
    await before.append('db_a', points(3, 'a3'));
    await before.remove((await before.oldest('db_b'))!);
    const bytes = before.bytes;

    // The first spool is dropped without any shutdown, as after a crash.
    const after = new Spool({ dir, maxBytes: 1e9, log: silentLog() });
    expect(after.holds('db_a')).to.equal(false);
    expect(await after.start()).to.deep.equal(['db_a']);
    expect(after.holds('db_a')).to.equal(true);
    expect(after.holds('db_b')).to.equal(false);
    expect(after.bytes).to.equal(bytes);

    expect(await after.append('db_a', points(1, 'a4'))).to.equal(true);
    expect(await after.append('db_b', points(1, 'b2'))).to.equal(true);
    expect(await readdir(path.join(dir, 'db_a'))).to.include('000000000004.json');
    expect(await readdir(path.join(dir, 'db_b'))).to.have.length(1);
    expect((await after.oldest('db_b'))?.points[0]?.tags['node']).to.equal('b2');
    const a = await drain(after, 'db_a');
    expect(a.map((b) => b.id)).to.deep.equal([1, 2, 3, 4]);
    expect(a.map((b) => b.points[0]?.tags['node'])).to.deep.equal(['a1', 'a2', 'a3', 'a4']);
    expect(a[2]?.points).to.deep.equal(points(3, 'a3'));
  });

  it('refuses an append beyond maxBytes (nothing written) and takes it once there is room', async () => {
    // Names of one length: every batch below has the same size.
    const probe = await started();
    await probe.append('db_0', points(100));
    const size = probe.bytes;
    await rm(dir, { recursive: true });

    const spool = await started(2 * size + size / 2);
    expect(await spool.append('db_1', points(100))).to.equal(true);
    expect(await spool.append('db_2', points(100))).to.equal(true);
    expect(spool.bytes).to.equal(2 * size);
    const refused = spool.append('db_3', points(100));
    expect(spool.holds('db_3')).to.equal(false);
    expect(await refused).to.equal(false);
    expect(await spool.append('db_1', points(100))).to.equal(false);
    expect(spool.bytes).to.equal(2 * size);
    expect((await readdir(dir)).sort()).to.deep.equal(['db_1', 'db_2']);
    expect(await readdir(path.join(dir, 'db_1'))).to.deep.equal(['000000000001.json']);

    await spool.remove((await spool.oldest('db_1'))!);
    expect(await spool.append('db_3', points(100))).to.equal(true);
    expect(spool.bytes).to.equal(2 * size);
  });

  it('counts appends under way against maxBytes', async () => {
    const probe = await started();
    await probe.append('db', points(50));
    const size = probe.bytes;
    await rm(dir, { recursive: true });

    const spool = await started(3 * size);
    const results = await Promise.all(Array.from({ length: 5 }, () => spool.append('db', points(50))));
    expect(results).to.deep.equal([true, true, true, false, false]);
    expect(spool.bytes).to.equal(3 * size);
  });

  it('renames a corrupt batch file to .unreadable, logs it and goes on with the next', async () => {
    const before = await started();
    for (let i = 1; i <= 4; i++) await before.append('db', points(1, `n${i}`));
    const folder = path.join(dir, 'db');
    await writeFile(path.join(folder, '000000000002.json'), '{"database": "db", "points": [garbage');
    // Valid JSON, but not a batch of this database.
    await writeFile(
      path.join(folder, '000000000003.json'),
      '{"database": "db", "points": [{"measurement": 1}]}',
    );
    await writeFile(path.join(folder, '000000000004.json'), '{"database": "another", "points": []}');

    const log = recordingLog();
    const spool = new Spool({ dir, maxBytes: 1e9, log });
    expect(await spool.start()).to.deep.equal(['db']);
    const first = await spool.oldest('db');
    expect(first?.points[0]?.tags['node']).to.equal('n1');
    await spool.remove(first!);
    expect(await spool.append('db', points(1, 'n5'))).to.equal(true);
    const next = await spool.oldest('db');
    expect(next?.id).to.equal(5);
    expect(next?.points[0]?.tags['node']).to.equal('n5');
    await spool.remove(next!);
    expect(await spool.oldest('db')).to.equal(undefined);
    expect(spool.bytes).to.equal(0);
    expect(spool.release('db')).to.equal(true);

    expect((await readdir(folder)).sort()).to.deep.equal([
      '000000000002.json.unreadable',
      '000000000003.json.unreadable',
      '000000000004.json.unreadable',
    ]);
    // Kept as it was, for a person to look at.
    expect(await readFile(path.join(folder, '000000000002.json.unreadable'), 'utf8')).to.equal(
      '{"database": "db", "points": [garbage',
    );
    expect(log.errors).to.have.length(3);
    expect(log.errors[0]).to.contain('000000000002.json').and.contain("'db'");
  });

  it('never gives out the id of a quarantined file again, also after a restart', async () => {
    const before = await started();
    await before.append('db', points(1));
    await before.append('db', points(1));
    await writeFile(path.join(dir, 'db', '000000000002.json'), 'not json');
    expect((await before.oldest('db'))?.id).to.equal(1);
    await before.remove((await before.oldest('db'))!);
    expect(await before.oldest('db')).to.equal(undefined);

    const after = new Spool({ dir, maxBytes: 1e9, log: silentLog() });
    expect(await after.start()).to.deep.equal([]);
    await after.append('db', points(1));
    expect((await readdir(path.join(dir, 'db'))).sort()).to.deep.equal([
      '000000000002.json.unreadable',
      '000000000003.json',
    ]);
  });

  it('removes temp files an earlier run left, and keeps its batches', async () => {
    const before = await started();
    await before.append('db', points(1));
    await mkdir(path.join(dir, 'only_temp'));
    await writeFile(path.join(dir, 'only_temp', '000000000001.json.tmp'), '{"database": "only_tem');
    await writeFile(path.join(dir, 'db', '000000000002.json.tmp'), '{"database": "db", "po');

    const after = new Spool({ dir, maxBytes: 1e9, log: silentLog() });
    expect(await after.start()).to.deep.equal(['db']);
    expect(await readdir(path.join(dir, 'only_temp'))).to.deep.equal([]);
    expect(await readdir(path.join(dir, 'db'))).to.deep.equal(['000000000001.json']);
    expect(after.holds('only_temp')).to.equal(false);
    expect((await drain(after, 'db')).map((b) => b.id)).to.deep.equal([1]);
  });

  it('keeps any database name inside the spool folder and gives it back exactly', async () => {
    const names = ['hiveeyes_test/../x', 'a b.c', '..', '.', '*', '', 'ü/%2F', 'A', 'a', '%'];
    const before = await started();
    for (const name of names) expect(await before.append(name, points(1, name))).to.equal(true);
    // One folder per name, all directly in the spool folder; nothing outside it.
    expect(await readdir(root)).to.deep.equal(['spool']);
    const folders = await readdir(dir, { withFileTypes: true });
    expect(folders).to.have.length(names.length);
    for (const folder of folders) {
      expect(folder.isDirectory()).to.equal(true);
      expect(folder.name).to.not.match(/^\.|[/*]/);
      expect(await readdir(path.join(dir, folder.name))).to.deep.equal(['000000000001.json']);
    }

    const after = new Spool({ dir, maxBytes: 1e9, log: silentLog() });
    expect(await after.start()).to.deep.equal([...names].sort());
    for (const name of names) {
      const batch = await after.oldest(name);
      expect(batch?.database).to.equal(name);
      expect(batch?.points[0]?.tags['node']).to.equal(name);
    }
  });

  it('leaves a folder it did not name alone', async () => {
    await mkdir(path.join(dir, 'not.ours'), { recursive: true });
    await writeFile(path.join(dir, 'not.ours', '000000000001.json'), '{"database":"not.ours","points":[]}');
    const spool = await started();
    expect(spool.bytes).to.equal(0);
    expect(await readdir(path.join(dir, 'not.ours'))).to.deep.equal(['000000000001.json']);
  });

  it('rejects an append whose write fails, leaving nothing behind and holds() as before', async () => {
    const spool = await started();
    // A file where the database's folder would go: the folder cannot be created.
    await writeFile(path.join(dir, 'blocked'), 'in the way');
    let failure: unknown;
    const appending = spool.append('blocked', points(5));
    expect(spool.holds('blocked')).to.equal(true);
    await appending.catch((err: unknown) => {
      failure = err;
    });
    expect(failure).to.be.instanceOf(StorageError);
    expect(spool.holds('blocked')).to.equal(false);
    expect(spool.bytes).to.equal(0);
    expect(await readdir(dir)).to.deep.equal(['blocked']);

    // Once the way is clear, the same database can be spooled.
    await rm(path.join(dir, 'blocked'));
    expect(await spool.append('blocked', points(5))).to.equal(true);
    expect((await drain(spool, 'blocked')).map((b) => b.points.length)).to.deep.equal([5]);
  });

  it('refuses to append before start', async () => {
    const spool = new Spool({ dir, maxBytes: 1e9, log: silentLog() });
    let failure: unknown;
    await spool.append('db', points(1)).catch((err: unknown) => {
      failure = err;
    });
    expect(failure).to.be.instanceOf(StorageError);
    expect(spool.holds('db')).to.equal(false);
  });
});
