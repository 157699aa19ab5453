import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import { StorageError } from '../../../lib/core/errors.js';
import { silentLog } from '../../../lib/core/log.js';
import { eventually } from '../../support/eventually.js';
import { heldWrite, point, points, range, ScriptedSink } from '../../support/scripted-sink.js';

describe('acquire/deliver/batcher', () => {
  let dir: string;
  let sink: ScriptedSink;
  let deadLetter: DeadLetterStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-batcher-'));
    sink = new ScriptedSink();
    deadLetter = new DeadLetterStore({ dataDir: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function batcher(limits: { batch_size: number; flush_interval: number; flush_idle?: number }) {
    return new WriteBatcher({ sink, limits, log: silentLog(), deadLetter });
  }

  it('writes a full batch at once, in one call per database', async () => {
    const b = batcher({ batch_size: 3, flush_interval: 60_000, flush_idle: 60_000 });
    const full = Promise.all([b.add('a', [point(1), point(2)]), b.add('a', [point(3)])]);
    const small = b.add('b', [point(9)]);
    await full;
    expect(sink.writes).to.deep.equal([{ database: 'a', values: [1, 2, 3] }]);
    // 'b' stays below its size and would wait a minute: flush it explicitly.
    await b.flush();
    await small;
    expect(sink.writes).to.deep.include({ database: 'a', values: [1, 2, 3] });
    expect(sink.writes).to.deep.include({ database: 'b', values: [9] });
    expect(sink.writes).to.have.length(2);
  });

  it('closes a batch when no point joined for flush_idle ms, long before flush_interval', async () => {
    const b = batcher({ batch_size: 1000, flush_interval: 60_000, flush_idle: 20 });
    const started = Date.now();
    await Promise.all([b.add('a', [point(1)]), b.add('a', [point(2)])]);
    expect(Date.now() - started).to.be.below(1000);
    expect(sink.writes).to.deep.equal([{ database: 'a', values: [1, 2] }]);
  });

  it('closes a batch after flush_interval even while points keep coming', async () => {
    const b = batcher({ batch_size: 1_000_000, flush_interval: 100, flush_idle: 60_000 });
    const adds: Promise<void>[] = [];
    const until = Date.now() + 250;
    for (let v = 0; Date.now() < until; v++) {
      adds.push(b.add('a', [point(v)]));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(adds);
    expect(sink.writes.length).to.be.within(2, 4);
    expect(sink.writes.flatMap((w) => w.values)).to.deep.equal(adds.map((_, i) => i));
  });

  it('does not take a busy stretch of the process for an idle batch: a point waiting in a socket joins it', async () => {
    const b = batcher({ batch_size: 1000, flush_interval: 60_000, flush_idle: 5 });
    // Two connections: a message on the first keeps the process busy for 30 ms, while the point for
    // the batch arrives on the second (as MQTT messages do while daqd handles write answers).
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const busyClient = net.connect(port, '127.0.0.1');
    await eventually('accepted', async () => accepted[0]);
    const pointClient = net.connect(port, '127.0.0.1');
    await eventually('accepted', async () => accepted[1]);
    const [busySide, pointSide] = accepted as [net.Socket, net.Socket];
    const later: Promise<void>[] = [];
    pointSide.on('data', () => later.push(b.add('a', [point(2)])));
    busySide.on('data', () => {
      pointClient.write('x');
      const until = performance.now() + 30;
      while (performance.now() < until) {
        // busy
      }
    });
    try {
      const first = b.add('a', [point(1)]);
      busyClient.write('x');
      await first;
      await Promise.all(later);
      expect(later).to.have.length(1);
      expect(sink.writes).to.deep.equal([{ database: 'a', values: [1, 2] }]);
    } finally {
      busyClient.destroy();
      pointClient.destroy();
      server.close();
    }
  });

  it('keeps the next batch open while a write of its database is under way, then writes it at once', async () => {
    sink.holding = true;
    const b = batcher({ batch_size: 1000, flush_interval: 30, flush_idle: 5 });
    const first = b.add('a', [point(1)]);
    const release = await heldWrite(sink);
    // Points come with pauses longer than flush_idle and for longer than flush_interval.
    const later: Promise<void>[] = [];
    for (let v = 2; v <= 6; v++) {
      later.push(b.add('a', [point(v)]));
      await new Promise((r) => setTimeout(r, 15));
    }
    const other = b.add('b', [point(100)]);
    // Database 'b' has no write under way: its batch goes after flush_idle, while 'a' waits.
    (await heldWrite(sink))();
    await other;
    expect(sink.attempts).to.deep.equal([1, 1]);
    release();
    await first;
    (await heldWrite(sink))();
    await Promise.all(later);
    expect(sink.writes).to.deep.equal([
      { database: 'b', values: [100] },
      { database: 'a', values: [1] },
      { database: 'a', values: [2, 3, 4, 5, 6] },
    ]);
  });

  it('writes a full batch behind the write under way, and keeps the one after it open', async () => {
    sink.holding = true;
    const b = batcher({ batch_size: 3, flush_interval: 10, flush_idle: 2 });
    const first = b.add('a', [point(1)]);
    const release = await heldWrite(sink);
    const full = b.add('a', points(2, 3));
    await new Promise((r) => setTimeout(r, 30));
    const open = b.add('a', [point(5)]);
    await new Promise((r) => setTimeout(r, 30));
    const more = b.add('a', [point(6)]);
    release();
    await first;
    (await heldWrite(sink))();
    await full;
    (await heldWrite(sink))();
    await Promise.all([open, more]);
    expect(sink.writes.map((w) => w.values)).to.deep.equal([[1], [2, 3, 4], [5, 6]]);
  });

  it('tells onStored of the stored points once per batch, leaving out points rejected for good', async () => {
    sink.poison.add(2);
    const told: { database: string; values: number[] }[] = [];
    const b = new WriteBatcher({
      sink,
      limits: { batch_size: 3, flush_interval: 10_000, flush_idle: 10_000 },
      log: silentLog(),
      deadLetter,
      onStored: (database, stored) =>
        told.push({ database, values: stored.map((p) => p.fields['v'] as number) }),
    });
    await Promise.allSettled([b.add('a', [point(1)]), b.add('a', [point(2)]), b.add('a', [point(3)])]);
    await Promise.all([b.add('a', [point(4), point(5)]), b.add('a', [point(6)])]);
    expect(told).to.deep.equal([
      { database: 'a', values: [1, 3] },
      { database: 'a', values: [4, 5, 6] },
    ]);
  });

  it('empties a batch once its write is settled, so an old batch keeps no point alive', async () => {
    const handed: (readonly unknown[])[] = [];
    const told: number[][] = [];
    const b = new WriteBatcher({
      sink,
      limits: { batch_size: 2, flush_interval: 10_000, flush_idle: 10_000 },
      log: silentLog(),
      deadLetter,
      onStored: (_database, stored) => {
        handed.push(stored);
        told.push(stored.map((p) => p.fields['v'] as number));
      },
    });
    await Promise.all([b.add('a', [point(1)]), b.add('a', [point(2)])]);
    expect(told).to.deep.equal([[1, 2]]);
    expect(handed).to.have.length(1);
    expect(handed[0]).to.have.length(0);
  });

  it('retries a retryable failure until the store takes the batch, losing nothing', async () => {
    sink.failures = [new StorageError('down', true), new StorageError('still down', true)];
    const b = batcher({ batch_size: 2, flush_interval: 10, flush_idle: 5 });
    await Promise.all([b.add('a', [point(1)]), b.add('a', [point(2)])]);
    expect(sink.writes).to.deep.equal([{ database: 'a', values: [1, 2] }]);
  });

  it('isolates points rejected for good: the others are stored, the bad ones go to the dead-letter file', async () => {
    sink.poison.add(2);
    const b = batcher({ batch_size: 3, flush_interval: 10_000, flush_idle: 10_000 });
    const results = await Promise.allSettled([
      b.add('a', [point(1)]),
      b.add('a', [point(2)]),
      b.add('a', [point(3)]),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(sink.writes.flatMap((w) => w.values).sort()).to.deep.equal([1, 3]);
    const lines = (await readFile(deadLetter.fileFor('a'), 'utf8')).trim().split('\n');
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0] ?? '{}')).to.include({
      database: 'a',
      measurement: 'm',
      time: '2',
      reason: 'field type conflict',
    });
  });

  it('leaves a rejected point unacknowledged (retryable) when the dead-letter store cannot take it', async () => {
    sink.poison.add(2);
    // The dead-letter folder cannot be created: a file is in its place.
    await writeFile(deadLetter.folder, 'not a folder');
    const b = batcher({ batch_size: 3, flush_interval: 10_000, flush_idle: 10_000 });
    const results = await Promise.allSettled([
      b.add('a', [point(1)]),
      b.add('a', [point(2)]),
      b.add('a', [point(3)]),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    const failure = (results[1] as PromiseRejectedResult).reason as StorageError;
    expect(failure).to.be.instanceOf(StorageError);
    expect(failure.retryable).to.equal(true);
    expect(failure.message).to.contain('dead-letter store failed');
    // Delivered again once the dead-letter store works: now it is kept there.
    await rm(deadLetter.folder);
    const again = await b.add('a', [point(2)]).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((again as StorageError).retryable).to.equal(false);
    const lines = (await readFile(deadLetter.fileFor('a'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).time)).to.deep.equal(['2']);
    expect(sink.writes.flatMap((w) => w.values).sort()).to.deep.equal([1, 3]);
  });

  it('gives up at the stop deadline with a retryable error, so the readings stay unacknowledged', async () => {
    sink.failures = Array.from({ length: 1000 }, () => new StorageError('down', true));
    const b = batcher({ batch_size: 1, flush_interval: 10, flush_idle: 5 });
    const pending = b.add('a', [point(1)]);
    const started = Date.now();
    await b.stop(300);
    expect(Date.now() - started).to.be.below(2000);
    const outcome = await pending.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(outcome).to.be.instanceOf(StorageError);
    expect((outcome as StorageError).retryable).to.equal(true);
    await b.add('a', [point(2)]).then(
      () => expect.fail('accepted after stop'),
      (err: unknown) => expect((err as StorageError).retryable).to.equal(true),
    );
  });

  it('splits an add larger than batch_size into writes of at most batch_size, in order, and resolves after the last', async () => {
    sink.holding = true;
    const b = batcher({ batch_size: 4, flush_interval: 60_000, flush_idle: 5 });
    let settled = false;
    const added = b.add('a', points(1, 10)).then(() => {
      settled = true;
    });
    expect(b.depth).to.equal(10);
    (await heldWrite(sink))();
    (await heldWrite(sink))();
    // Two of three parts stored: the add still waits, and the depth counts only the unstored part.
    await new Promise((r) => setImmediate(r));
    expect(sink.writes.map((w) => w.values)).to.deep.equal([range(1, 4), range(5, 4)]);
    expect(settled).to.equal(false);
    expect(b.depth).to.equal(2);
    (await heldWrite(sink))();
    await added;
    expect(sink.writes).to.deep.equal([
      { database: 'a', values: [1, 2, 3, 4] },
      { database: 'a', values: [5, 6, 7, 8] },
      { database: 'a', values: [9, 10] },
    ]);
    expect(b.depth).to.equal(0);
  });

  it('tops up the pending batch first, then continues in new batches', async () => {
    const b = batcher({ batch_size: 4, flush_interval: 60_000, flush_idle: 5 });
    const small = b.add('a', points(1, 3));
    const large = b.add('a', points(4, 6));
    await Promise.all([small, large]);
    expect(sink.writes.map((w) => w.values)).to.deep.equal([range(1, 4), range(5, 4), [9]]);
    expect(b.depth).to.equal(0);
  });

  it('rejects a split add whose second part holds a point rejected for good, storing the other parts', async () => {
    sink.poison.add(6);
    const b = batcher({ batch_size: 4, flush_interval: 60_000, flush_idle: 5 });
    const before = b.add('a', [point(100)]);
    const outcome = await b.add('a', points(1, 10)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(outcome).to.be.instanceOf(StorageError);
    expect((outcome as StorageError).retryable).to.equal(false);
    expect((outcome as StorageError).message).to.equal('field type conflict');
    // Settled only once every part was: the third part is already stored.
    // The second batch [4, 5, 6, 7] is refused and written point by point; the others go whole.
    expect(sink.writes.map((w) => w.values)).to.deep.equal([[100, 1, 2, 3], [4], [5], [7], [8, 9, 10]]);
    // The add that shared the first batch is not touched by the bad point.
    await before;
    const lines = (await readFile(deadLetter.fileFor('a'), 'utf8')).trim().split('\n');
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0] ?? '{}')).to.include({
      database: 'a',
      time: '6',
      reason: 'field type conflict',
    });
    expect(b.depth).to.equal(0);
  });

  it('rejects a split add with a retryable error when stop gives up while the store is down', async () => {
    sink.failures = Array.from({ length: 1000 }, () => new StorageError('down', true));
    const b = batcher({ batch_size: 4, flush_interval: 60_000, flush_idle: 60_000 });
    const pending = b.add('a', points(1, 10)).then(
      () => undefined,
      (err: unknown) => err,
    );
    await b.stop(300);
    const outcome = await pending;
    expect(outcome).to.be.instanceOf(StorageError);
    expect((outcome as StorageError).retryable).to.equal(true);
    expect(sink.writes).to.deep.equal([]);
    expect(sink.attempts).to.not.be.empty;
    expect(Math.max(...sink.attempts)).to.be.at.most(4);
    expect(b.depth).to.equal(0);
  });
});
