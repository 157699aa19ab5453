import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import { lineBodyToPoints } from '../../../lib/acquire/sanitize/line-body.js';
import { lineOrigin } from '../../../lib/acquire/sanitize/line-point.js';
import { silentLog } from '../../../lib/core/log.js';
import type { Point } from '../../../lib/core/point.js';
import { points, ScriptedSink } from '../../support/scripted-sink.js';

/** The points of one /write request: `m v=<n> <n>` for each n. */
function request(values: readonly number[]): Point[] {
  const body = values.map((v) => `m v=${v} ${v}`).join('\n');
  return lineBodyToPoints(Buffer.from(body), lineOrigin(1n, 0n)).points;
}

/** Lets the batcher start what it may start. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('acquire/deliver/batcher: writes of line-protocol requests side by side', () => {
  let dir: string;
  let sink: ScriptedSink;
  let batcher: WriteBatcher;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-batcher-'));
    sink = new ScriptedSink();
    sink.holding = true;
    batcher = new WriteBatcher({
      sink,
      limits: { batch_size: 3, flush_interval: 60_000, flush_idle: 60_000 },
      log: silentLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
    });
  });
  afterEach(async () => {
    sink.holding = false;
    for (const release of sink.held.splice(0)) release();
    await batcher.flush();
    await rm(dir, { recursive: true, force: true });
  });

  /** Releases held writes one at a time until `done` settles; the values in the order they were stored. */
  async function releaseAll(done: Promise<unknown>): Promise<number[][]> {
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    while (!finished) {
      sink.held.shift()?.();
      await settle();
    }
    await done;
    return sink.writes.map((w) => w.values);
  }

  it('writes two requests whose times do not meet at the same time, two at most', async () => {
    const done = Promise.all([
      batcher.add('a', request([1, 2, 3])),
      batcher.add('a', request([4, 5, 6])),
      batcher.add('a', request([7, 8, 9])),
    ]);
    await settle();
    expect(sink.attempts).to.deep.equal([3, 3]);
    // The third waits for the first, not only for the second.
    sink.held[1]!();
    await settle();
    expect(sink.attempts).to.deep.equal([3, 3]);
    sink.held[0]!();
    await settle();
    expect(sink.attempts).to.deep.equal([3, 3, 3]);
    sink.held.splice(0, 2);
    sink.holding = false;
    for (const release of sink.held.splice(0)) release();
    await done;
    expect(sink.writes.map((w) => w.values)).to.have.deep.members([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('writes requests whose times meet one after the other, in order', async () => {
    const done = Promise.all([batcher.add('a', request([1, 2, 5])), batcher.add('a', request([3, 4, 6]))]);
    await settle();
    expect(sink.attempts).to.deep.equal([3]);
    expect(await releaseAll(done)).to.deep.equal([
      [1, 2, 5],
      [3, 4, 6],
    ]);
  });

  it('writes the parts of one request one after the other, in order', async () => {
    const done = batcher.add('a', request([1, 2, 3, 4, 5, 6]));
    await settle();
    expect(sink.attempts).to.deep.equal([3]);
    expect(await releaseAll(done)).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('writes points that did not come as line protocol one batch after the other, in order', async () => {
    const done = Promise.all([batcher.add('a', points(1, 3)), batcher.add('a', points(4, 3))]);
    await settle();
    expect(sink.attempts).to.deep.equal([3]);
    expect(await releaseAll(done)).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('writes a request next to one of another database as before: databases never wait for each other', async () => {
    const done = Promise.all([batcher.add('a', request([1, 2, 3])), batcher.add('b', request([1, 2, 3]))]);
    await settle();
    expect(sink.attempts).to.deep.equal([3, 3]);
    await releaseAll(done);
  });
});
