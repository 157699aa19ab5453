import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import type { Point } from '../../../lib/core/point.js';

const T = 1583810982123456789n;

describe('acquire/deliver/dead-letter', () => {
  let dir: string;
  let store: DeadLetterStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-dead-letter-'));
    store = new DeadLetterStore({ dataDir: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('read', () => {
    it('gives back the points exactly as they were added: ns time as bigint, field types as JSON has them', async () => {
      const points: Point[] = [
        {
          measurement: 'area_42_node_1_sensors',
          tags: { geohash: 'u0yjjd6', 'with space': 'a,b=c' },
          fields: {
            temperature: 21.5,
            weight: 42,
            third: 0.1 + 0.2,
            big: 2 ** 53 + 2,
            tiny: -1e-300,
            huge: 1e21,
            state: 'warm "and" \\ humid\n',
            ok: true,
            off: false,
          },
          time: T,
        },
        { measurement: 'm', tags: {}, fields: { v: -0.5 }, time: -1_000_000_001n },
        { measurement: 'm', tags: {}, fields: { v: 1 }, time: 9_223_372_036_854_775_807n },
      ];
      await store.add('hiverize_testdrive', points, 'field type conflict');
      const read = await store.read('hiverize_testdrive');
      expect(read.file).to.equal(store.fileFor('hiverize_testdrive'));
      expect(read.database).to.equal('hiverize_testdrive');
      expect(read.unreadable).to.deep.equal([]);
      expect(read.letters.map((l) => l.point)).to.deep.equal(points);
      expect(read.letters.map((l) => l.line)).to.deep.equal([1, 2, 3]);
      for (const letter of read.letters) {
        expect(letter.reason).to.equal('field type conflict');
        expect(letter.database).to.equal('hiverize_testdrive');
        expect(Number.isNaN(Date.parse(letter.at))).to.equal(false);
        expect(typeof letter.point.time).to.equal('bigint');
      }
      // 42 stays the number 42 (a float to every sink), never a string or a bigint.
      expect(read.letters[0]?.point.fields['weight']).to.be.a('number');
      expect(read.size).to.equal((await readFile(read.file)).length);
    });

    it('keeps the database a line names, also when the file name had to be made safe', async () => {
      await store.add('odd/name', [{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1n }], 'r');
      // The one database → file-name mapping (the spool's folders and SQLite's files use it too).
      expect(path.basename(store.fileFor('odd/name'))).to.equal('odd%2Fname.ndjson');
      const read = await store.read('odd/name');
      expect(read.name).to.equal('odd/name');
      expect(read.database).to.equal('odd/name');
      expect(read.letters[0]?.database).to.equal('odd/name');
      expect(await store.databases()).to.deep.equal(['odd/name']);
    });

    it('keeps using a file an earlier daqd named with its sanitized name, where it is', async () => {
      // How files were named before the one mapping: every character but [A-Za-z0-9_.-] made `_`.
      const old = path.join(store.folder, 'odd_name.ndjson');
      await mkdir(store.folder, { recursive: true });
      await writeFile(
        old,
        '{"at":"x","database":"odd/name","reason":"r","measurement":"m","tags":{},"fields":{"v":1},"time":"1"}\n',
      );
      expect(store.fileFor('odd/name')).to.equal(old);
      await store.add('odd/name', [{ measurement: 'm', tags: {}, fields: { v: 2 }, time: 2n }], 'r');
      expect(await readdir(store.folder)).to.deep.equal(['odd_name.ndjson']);
      expect(await store.databases()).to.deep.equal(['odd_name']);
      const read = await store.read('odd_name');
      expect(read.file).to.equal(old);
      expect(read.letters.map((l) => [l.database, l.point.fields['v']])).to.deep.equal([
        ['odd/name', 1],
        ['odd/name', 2],
      ]);
      expect((await store.read('odd/name')).letters).to.have.length(2);
      await store.rewrite('odd_name', []);
      expect(await readdir(store.folder)).to.deep.equal([]);
    });

    it('counts bad lines as unreadable, keeps reading past them and reports each with its line', async () => {
      const good = (v: number) =>
        JSON.stringify({
          at: 'x',
          database: 'd',
          reason: 'r',
          measurement: 'm',
          tags: {},
          fields: { v },
          time: `${v}`,
        });
      const lines = [
        good(1),
        '{"measurement": "m", "fields": {"v": 1}, "time": "12"', // cut short
        '',
        JSON.stringify({ measurement: 'm', fields: { v: 1 } }), // no time
        JSON.stringify({ measurement: 'm', fields: { v: 1 }, time: 12 }), // time as a lossy number
        JSON.stringify({ measurement: 'm', fields: [1], time: '12' }),
        JSON.stringify({ measurement: 'm', fields: { v: { nested: 1 } }, time: '12' }),
        JSON.stringify({ measurement: 'm', tags: { t: 1 }, fields: { v: 1 }, time: '12' }),
        JSON.stringify({ fields: { v: 1 }, time: '12' }), // no measurement
        '[1, 2]',
        good(2),
      ];
      await mkdir(path.dirname(store.fileFor('d')), { recursive: true });
      await writeFile(store.fileFor('d'), `${lines.join('\n')}\n`);
      const read = await store.read('d');
      expect(read.letters.map((l) => [l.line, l.point.fields['v']])).to.deep.equal([
        [1, 1],
        [11, 2],
      ]);
      expect(read.unreadable.map((u) => u.line)).to.deep.equal([2, 4, 5, 6, 7, 8, 9, 10]);
      expect(read.unreadable.map((u) => u.text)).to.deep.equal(
        lines.filter((_, i) => [1, 3, 4, 5, 6, 7, 8, 9].includes(i)),
      );
      expect(read.unreadable[0]?.problem).to.equal('not valid JSON');
      expect(read.unreadable[1]?.problem).to.match(/time/);
      expect(read.unreadable[2]?.problem).to.match(/time/);
      expect(read.unreadable[3]?.problem).to.match(/fields/);
      expect(read.unreadable[4]?.problem).to.match(/field 'v'/);
      expect(read.unreadable[5]?.problem).to.match(/tag 't'/);
      expect(read.unreadable[6]?.problem).to.match(/measurement/);
    });

    it('keeps NaN, ±Infinity and -0 exactly', async () => {
      const fields = { nan: Number.NaN, inf: Infinity, ninf: -Infinity, nzero: -0, v: 2 };
      await store.add('d', [{ measurement: 'm', tags: {}, fields, time: 1n }], 'r');
      const read = await store.read('d');
      expect(read.unreadable).to.deep.equal([]);
      const back = read.letters[0]?.point.fields ?? {};
      expect(back['nan']).to.be.NaN;
      expect(back['inf']).to.equal(Infinity);
      expect(back['ninf']).to.equal(-Infinity);
      expect(Object.is(back['nzero'], -0)).to.equal(true);
      expect(back['v']).to.equal(2);
    });

    it('reads lines written before NaN was kept: leaves out a null field and calls a point with nothing else unreadable', async () => {
      // Such files held NaN and ±Infinity as JSON.stringify writes them: null.
      const line = (fields: string, time: number) =>
        `{"at":"x","database":"d","reason":"r","measurement":"m","tags":{},"fields":${fields},"time":"${time}"}`;
      await mkdir(store.folder, { recursive: true });
      await writeFile(store.fileFor('d'), `${line('{"bad":null,"v":2}', 1)}\n${line('{"bad":null}', 2)}\n`);
      const read = await store.read('d');
      expect(read.letters.map((l) => l.point.fields)).to.deep.equal([{ v: 2 }]);
      expect(read.unreadable.map((u) => [u.line, u.problem])).to.deep.equal([
        [2, 'no field value a store can keep'],
      ]);
    });

    it('keeps a key named __proto__ a plain key', async () => {
      const line = '{"measurement":"m","tags":{"__proto__":"t"},"fields":{"__proto__":1},"time":"5"}';
      await mkdir(path.dirname(store.fileFor('d')), { recursive: true });
      await writeFile(store.fileFor('d'), `${line}\n`);
      const point = (await store.read('d')).letters[0]?.point;
      expect(Object.keys(point?.fields ?? {})).to.deep.equal(['__proto__']);
      expect(Object.keys(point?.tags ?? {})).to.deep.equal(['__proto__']);
      expect(Object.getPrototypeOf(point?.fields)).to.equal(Object.prototype);
    });

    it('leaves a last line without its newline (still being appended) for later', async () => {
      await store.add('d', [{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1n }], 'r');
      const complete = (await readFile(store.fileFor('d'))).length;
      await appendFile(store.fileFor('d'), '{"measurement":"m","fie');
      const read = await store.read('d');
      expect(read.letters).to.have.length(1);
      expect(read.unreadable).to.deep.equal([]);
      expect(read.size).to.equal(complete);
    });

    it('reads a database without a file as empty', async () => {
      const read = await store.read('nothing');
      expect(read.letters).to.deep.equal([]);
      expect(read.unreadable).to.deep.equal([]);
      expect(read.size).to.equal(0);
    });
  });

  describe('list', () => {
    it('is empty without a dead-letter folder', async () => {
      expect(await store.list()).to.deep.equal([]);
      expect(await store.databases()).to.deep.equal([]);
    });

    it('gives each file its points, unreadable lines and reasons counted, most frequent first', async () => {
      const p = (v: number): Point => ({ measurement: 'm', tags: {}, fields: { v }, time: BigInt(v) });
      await store.add('b_db', [p(1)], 'rare reason');
      await store.add('b_db', [p(2), p(3)], 'field type conflict');
      await store.add('a_db', [p(4)], 'only reason');
      await appendFile(store.fileFor('a_db'), 'garbage\n');
      await writeFile(path.join(store.folder, 'empty.ndjson'), '');
      await writeFile(path.join(store.folder, '.b_db.ndjson.123.tmp'), 'not a dead-letter file\n');
      expect(await store.list()).to.deep.equal([
        {
          database: 'a_db',
          file: store.fileFor('a_db'),
          points: 1,
          unreadable: 1,
          reasons: [{ reason: 'only reason', count: 1 }],
        },
        {
          database: 'b_db',
          file: store.fileFor('b_db'),
          points: 3,
          unreadable: 0,
          reasons: [
            { reason: 'field type conflict', count: 2 },
            { reason: 'rare reason', count: 1 },
          ],
        },
      ]);
    });
  });

  describe('rewrite', () => {
    const p = (v: number): Point => ({ measurement: 'm', tags: {}, fields: { v }, time: BigInt(v) });

    it('keeps exactly the given lines, in a new file renamed over the old one', async () => {
      await store.add('d', [p(1), p(2), p(3)], 'r');
      await appendFile(store.fileFor('d'), 'unreadable\n');
      const read = await store.read('d');
      const keep = [read.letters[1]!.text, read.unreadable[0]!.text];
      const before = await readFile(read.file, 'utf8');
      // A reader that opened the file before keeps seeing all of it: the file was replaced, not truncated.
      const old = await open(read.file, 'r');
      try {
        await store.rewrite('d', keep, { after: read.size });
        expect(await old.readFile('utf8')).to.equal(before);
      } finally {
        await old.close();
      }
      expect(await readFile(read.file, 'utf8')).to.equal(`${keep.join('\n')}\n`);
      const again = await store.read('d');
      expect(again.letters.map((l) => l.point)).to.deep.equal([p(2)]);
      expect(again.unreadable.map((u) => u.text)).to.deep.equal(['unreadable']);
      expect(await readdir(store.folder)).to.deep.equal(['d.ndjson']);
    });

    it('carries over lines appended after the read, and a line still being written', async () => {
      await store.add('d', [p(1), p(2)], 'r');
      const read = await store.read('d');
      await store.add('d', [p(3)], 'later');
      await appendFile(store.fileFor('d'), '{"partial":');
      const full = await readFile(store.fileFor('d'), 'utf8');
      await store.rewrite('d', [], { after: read.size });
      const text = await readFile(store.fileFor('d'), 'utf8');
      // All ASCII: byte offsets are character offsets.
      expect(text).to.equal(full.slice(read.size));
      expect(text.endsWith('\n{"partial":')).to.equal(true);
      const again = await store.read('d');
      expect(again.letters.map((l) => [l.point, l.reason])).to.deep.equal([[p(3), 'later']]);
    });

    it('waits for a line a writer is still appending instead of carrying over its first part', async () => {
      // A line crossing a page boundary can be seen half written: here the writer's two parts are two
      // writes, the second after the rewrite has replaced the file.
      await store.add('d', [p(1)], 'r');
      const read = await store.read('d');
      await store.add('scratch', [p(2)], 'r');
      const line = (await store.read('scratch')).letters[0]?.text ?? '';
      const writer = await open(store.fileFor('d'), 'a');
      try {
        await writer.write(line.slice(0, 20));
        const rewriting = store.rewrite(
          'd',
          read.letters.map((l) => l.text),
          { after: read.size },
        );
        await new Promise((resolve) => setTimeout(resolve, 60));
        await writer.write(`${line.slice(20)}\n`);
        await rewriting;
      } finally {
        await writer.close();
      }
      const again = await store.read('d');
      expect(again.unreadable).to.deep.equal([]);
      expect(again.letters.map((l) => l.point)).to.deep.equal([p(1), p(2)]);
    });

    it('removes the file when nothing is left', async () => {
      await store.add('d', [p(1)], 'r');
      const read = await store.read('d');
      await store.rewrite('d', [], { after: read.size });
      expect(await readdir(store.folder)).to.deep.equal([]);
      expect(await store.list()).to.deep.equal([]);
      // Nothing to remove is no error.
      await store.rewrite('d', []);
    });

    it('loses no line a writer appends while the file is being rewritten over and over', async () => {
      const count = 300;
      let writing = true;
      let rewrites = 0;
      let rewritten: (() => void) | undefined;
      const writer = (async () => {
        try {
          for (let v = 1; v <= count; v++) {
            await store.add('d', [p(v)], 'r');
            // Every 30 lines the writer waits for a rewrite, so the two interleave however busy the
            // machine is (a fast writer could otherwise finish within the first rewrite).
            if (v % 30 === 0) await new Promise<void>((resolve) => (rewritten = resolve));
          }
        } finally {
          writing = false;
        }
      })();
      while (writing) {
        const read = await store.read('d');
        // Keeps all it read, as a replay keeps the points rejected again.
        await store.rewrite(
          'd',
          read.letters.map((l) => l.text),
          { after: read.size },
        );
        rewrites++;
        rewritten?.();
        rewritten = undefined;
      }
      await writer;
      expect(rewrites).to.be.at.least(count / 30);
      const times = new Set((await store.read('d')).letters.map((l) => Number(l.point.time)));
      expect([...times].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: count }, (_, i) => i + 1));
      expect((await readdir(store.folder)).filter((name) => name.endsWith('.tmp'))).to.deep.equal([]);
    });
  });
});
