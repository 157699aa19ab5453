import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../../lib/acquire/sink/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/sink/dead-letter.js';
import type { QueryResult, Sink } from '../../../lib/acquire/sink/sink.js';
import { StorageError } from '../../../lib/core/errors.js';
import { silentLog } from '../../../lib/core/log.js';
import type { Point } from '../../../lib/core/point.js';

/**
 * A scripted store: records each write call and fails as told. The batcher's contract is about when
 * and how it calls a Sink, so a recording Sink is the right instrument here; the real stores have
 * their own contract suite.
 */
class ScriptedSink implements Sink {
  readonly kind = 'scripted';
  writes: { database: string; values: number[] }[] = [];
  /** Next write calls fail with these errors, in order. */
  failures: StorageError[] = [];
  /** Points with these values are always rejected for good. */
  poison = new Set<number>();

  async start() {}
  async stop() {}
  async ping() {
    return true;
  }
  async measurements() {
    return [];
  }
  async query(): Promise<QueryResult> {
    return { columns: [], rows: (async function* () {})() };
  }
  async write(database: string, points: readonly Point[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const values = points.map((p) => p.fields['v'] as number);
    if (values.some((v) => this.poison.has(v))) throw new StorageError('field type conflict', false);
    this.writes.push({ database, values });
  }
}

function point(v: number): Point {
  return { measurement: 'm', tags: {}, fields: { v }, time: BigInt(v) };
}

describe('acquire/sink/batcher', () => {
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
});
