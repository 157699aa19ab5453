import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import { Spool } from '../../../lib/acquire/deliver/spool.js';
import { SpoolReplayer } from '../../../lib/acquire/deliver/spool-replayer.js';
import { StorageError } from '../../../lib/core/errors.js';
import { type Log, silentLog } from '../../../lib/core/log.js';
import { points, range, ScriptedSink } from '../../support/scripted-sink.js';

/** A log that keeps its info and error lines. */
function recordingLog(): Log & { infos: string[]; errors: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  return Object.assign(silentLog(), {
    infos,
    errors,
    info: (line: string) => void infos.push(line),
    error: (line: string) => void errors.push(line),
  });
}

describe('acquire/deliver/spool-replayer', () => {
  let dir: string;
  let sink: ScriptedSink;
  let spool: Spool;
  let deadLetter: DeadLetterStore;
  let log: ReturnType<typeof recordingLog>;
  /** Every wait the replayer asked for, ms; `onSleep` runs at each, and the wait ends when it has. */
  let sleeps: number[];
  let onSleep: (count: number) => Promise<void> | undefined;
  let stopped: boolean;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-spool-replayer-'));
    sink = new ScriptedSink();
    log = recordingLog();
    spool = new Spool({ dir: path.join(dir, 'spool'), maxBytes: 64 * 2 ** 20, log });
    await spool.start();
    deadLetter = new DeadLetterStore({ dataDir: dir });
    sleeps = [];
    onSleep = () => undefined;
    stopped = false;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function replayer(): SpoolReplayer {
    return new SpoolReplayer({
      spool,
      write: (database, pts) => sink.write(database, pts),
      sleep: async (ms) => {
        sleeps.push(ms);
        await onSleep(sleeps.length);
      },
      stopped: () => stopped,
      deadLetter,
      log,
    });
  }

  const written = () => sink.writes.flatMap((w) => w.values);

  it('writes the batches oldest first, removes each once stored and releases the database', async () => {
    await spool.append('db', points(1, 3));
    await spool.append('db', points(4, 2));
    await spool.append('other', points(100, 1));
    await replayer().run('db');
    expect(sink.writes).to.deep.equal([
      { database: 'db', values: [1, 2, 3] },
      { database: 'db', values: [4, 5] },
    ]);
    expect(await spool.oldest('db')).to.equal(undefined);
    expect(spool.holds('db')).to.equal(false);
    expect(spool.holds('other')).to.equal(true);
    expect(log.infos).to.deep.equal(["spool: 'db' caught up (2 batch(es) written)"]);
  });

  it('tries a store that fails retryably again with growing backoff, keeping the batch until it is stored', async () => {
    await spool.append('db', points(1, 2));
    sink.failures = [1, 2, 3].map(() => new StorageError('connection refused', true));
    onSleep = () => {
      expect(spool.holds('db')).to.equal(true);
      return undefined;
    };
    await replayer().run('db');
    expect(written()).to.deep.equal([1, 2]);
    expect(sleeps).to.have.length(3);
    // Full jitter: attempt n waits within [ceiling/2, ceiling], the ceiling doubling from 250 ms.
    expect(sleeps[0]).to.be.within(125, 250);
    expect(sleeps[2]).to.be.within(500, 1000);
    expect(spool.holds('db')).to.equal(false);
  });

  it('stores the good points of a batch rejected for good and puts the others into the dead-letter store', async () => {
    await spool.append('db', points(1, 4));
    sink.poison.add(2);
    sink.poison.add(4);
    await replayer().run('db');
    expect(written()).to.deep.equal([1, 3]);
    const lines = (await readFile(deadLetter.fileFor('db'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).to.have.length(2);
    expect(lines.map((line) => [JSON.parse(line).time, JSON.parse(line).reason])).to.deep.equal([
      ['2', 'field type conflict'],
      ['4', 'field type conflict'],
    ]);
    expect(spool.holds('db')).to.equal(false);
    expect(log.errors.join('\n')).to.contain("rejected 2 point(s) of 'db' for good");
  });

  it('keeps a rejected batch in the spool while the dead-letter store fails, and settles it once it works', async () => {
    await spool.append('db', points(1, 3));
    sink.poison.add(2);
    // The dead-letter folder cannot be created: a file is in its place, until the third wait.
    await writeFile(deadLetter.folder, 'not a folder');
    const held: boolean[] = [];
    onSleep = (count) => {
      held.push(spool.holds('db'));
      return count === 3 ? rm(deadLetter.folder) : undefined;
    };
    await replayer().run('db');
    expect(held).to.deep.equal([true, true, true]);
    expect(log.errors.filter((line) => line.includes('dead-letter store failed'))).to.have.length.at.least(1);
    const lines = (await readFile(deadLetter.fileFor('db'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).time)).to.include('2');
    expect(new Set(written())).to.deep.equal(new Set([1, 3]));
    expect(spool.holds('db')).to.equal(false);
  });

  it('tries the whole batch again when the store goes down while a rejected batch is written point by point', async () => {
    await spool.append('db', points(1, 3));
    sink.poison.add(3);
    // The batch is refused, point 1 goes in, then the store is down for point 2.
    let calls = 0;
    const write = sink.write.bind(sink);
    sink.write = async (database, pts) => {
      calls++;
      if (calls === 3) throw new StorageError('connection refused', true);
      return write(database, pts);
    };
    await replayer().run('db');
    expect(sleeps).to.have.length(1);
    expect(new Set(written())).to.deep.equal(new Set([1, 2]));
    const lines = (await readFile(deadLetter.fileFor('db'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).time)).to.deep.equal(['3']);
    expect(spool.holds('db')).to.equal(false);
  });

  it('stops after the batch in hand once daqd stops; the rest stays in the spool', async () => {
    for (let i = 0; i < 3; i++) await spool.append('db', points(i * 10, 1));
    const write = sink.write.bind(sink);
    sink.write = async (database, pts) => {
      stopped = true;
      return write(database, pts);
    };
    await replayer().run('db');
    expect(written()).to.deep.equal(range(0, 1));
    expect(spool.holds('db')).to.equal(true);
    expect((await spool.oldest('db'))?.points.map((p) => p.fields['v'])).to.deep.equal([10]);
  });
});
