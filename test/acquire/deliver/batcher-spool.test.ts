import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import { Spool } from '../../../lib/acquire/deliver/spool.js';
import { StorageError } from '../../../lib/core/errors.js';
import { silentLog } from '../../../lib/core/log.js';
import { eventually } from '../../support/eventually.js';
import { points, range, ScriptedSink } from '../../support/scripted-sink.js';

/** Whether `promise` has settled by now (after pending reactions ran). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  return done;
}

describe('acquire/deliver/batcher with a spool', () => {
  let dir: string;
  let sink: ScriptedSink;
  const batchers: WriteBatcher[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-batcher-spool-'));
    sink = new ScriptedSink();
  });
  afterEach(async () => {
    for (const b of batchers.splice(0)) await b.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  async function batcher(maxBytes = 64 * 2 ** 20): Promise<{ batcher: WriteBatcher; spool: Spool }> {
    const spool = new Spool({ dir: path.join(dir, 'spool'), maxBytes, log: silentLog() });
    const b = new WriteBatcher({
      sink,
      limits: { batch_size: 3, flush_interval: 10, flush_idle: 2 },
      log: silentLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
      spool,
    });
    batchers.push(b);
    await b.start();
    return { batcher: b, spool };
  }

  const written = () => sink.writes.flatMap((w) => w.values);

  it('acknowledges batches the store cannot take once they are in the spool, and writes them in order when it is back', async () => {
    const { batcher: b, spool } = await batcher();
    sink.down = true;
    await Promise.all([b.add('a', points(1, 3)), b.add('a', points(4, 3)), b.add('a', points(7, 2))]);
    expect(sink.writes).to.deep.equal([]);
    expect(spool.holds('a')).to.equal(true);
    expect(b.spooledBytes).to.be.greaterThan(0);
    sink.down = false;
    await eventually('the spool written', async () => (spool.holds('a') ? undefined : true));
    expect(written()).to.deep.equal(range(1, 8));
    expect(b.spooledBytes).to.equal(0);
  });

  it('sends later batches of a database into the spool behind the spooled ones, even with the store back', async () => {
    const { batcher: b, spool } = await batcher();
    sink.failures = [new StorageError('blip', true)];
    await b.add('a', points(1, 3));
    // The store is up again, but 1-3 wait in the spool: 4-9 must not overtake them.
    await Promise.all([b.add('a', points(4, 3)), b.add('a', points(7, 3)), b.add('b', points(100, 1))]);
    await eventually('the spool written', async () => (spool.holds('a') ? undefined : true));
    expect(sink.writes.filter((w) => w.database === 'a').flatMap((w) => w.values)).to.deep.equal(range(1, 9));
    expect(sink.writes.filter((w) => w.database === 'b').flatMap((w) => w.values)).to.deep.equal([100]);
  });

  it('writes what a stopped daqd left in the spool after the next start, before new batches', async () => {
    const first = await batcher();
    sink.down = true;
    await Promise.all([first.batcher.add('a', points(1, 3)), first.batcher.add('a', points(4, 2))]);
    await first.batcher.stop(1000);
    sink.down = false;
    const second = await batcher();
    const later = second.batcher.add('a', points(6, 1));
    await later;
    await eventually('the spool written', async () => (second.spool.holds('a') ? undefined : true));
    expect(written()).to.deep.equal(range(1, 6));
  });

  it('with the spool full, a batch waits in memory and is acknowledged only once stored', async () => {
    const { batcher: b } = await batcher(10);
    sink.down = true;
    const pending = b.add('a', points(1, 3));
    expect(await settled(pending)).to.equal(false);
    sink.down = false;
    await pending;
    expect(written()).to.deep.equal([1, 2, 3]);
  });

  it('retries a failed spool write with backoff: the batch waits unacknowledged, /health sees the spool failing, then it is spooled and stored', async () => {
    const { batcher: b, spool } = await batcher();
    // A file where the database's folder goes: every spool write of 'a' fails (ENOTDIR/EEXIST), as on
    // a full or broken disk.
    const blocker = path.join(dir, 'spool', 'a');
    await writeFile(blocker, 'in the way');
    sink.down = true;
    const pending = b.add('a', points(1, 3));
    pending.catch(() => {});
    await eventually('the spool reported failing', async () => (b.spoolHealth.ok ? undefined : true));
    expect(await settled(pending)).to.equal(false);
    expect(b.spoolHealth.problem).to.match(/cannot write a batch of 'a'/);
    await rm(blocker);
    await pending;
    expect(spool.holds('a')).to.equal(true);
    expect(b.spoolHealth).to.deep.equal({ enabled: true, ok: true });
    sink.down = false;
    await eventually('the spool written', async () => (spool.holds('a') ? undefined : true));
    expect(written()).to.deep.equal([1, 2, 3]);
  });

  it('puts the points of a spooled batch the store rejects for good into the dead-letter store, and stores the rest', async () => {
    const { batcher: b, spool } = await batcher();
    sink.down = true;
    await b.add('a', points(1, 3));
    sink.poison.add(2);
    sink.down = false;
    await eventually('the spool written', async () => (spool.holds('a') ? undefined : true));
    expect(written()).to.deep.equal([1, 3]);
    const letters = (await readFile(path.join(dir, 'dead-letter', 'a.ndjson'), 'utf8')).trim().split('\n');
    expect(letters.map((line) => (JSON.parse(line) as { fields: { v: number } }).fields.v)).to.deep.equal([
      2,
    ]);
  });
});
