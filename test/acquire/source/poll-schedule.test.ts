import { expect } from 'chai';
import { jitterDelays, nextRoundDelay, spreadRound } from '../../../lib/acquire/source/poll-schedule.js';

/** Draws from a fixed list, in order. */
function draws(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('acquire/source/poll-schedule', () => {
  it('draws each request a delay in [0, jitter)', () => {
    expect(jitterDelays(4, 1000, draws([0, 0.25, 0.5, 0.999]))).to.deep.equal([0, 250, 500, 999]);
    expect(jitterDelays(3, 0, Math.random)).to.deep.equal([0, 0, 0]);
    for (const delay of jitterDelays(200, 30_000, Math.random)) expect(delay).to.be.within(0, 29_999);
  });

  it('starts rounds an interval apart from the last start, at once after an overrun, never piled up', () => {
    expect(nextRoundDelay(1_000, 1_500, 10_000)).to.equal(9_500);
    expect(nextRoundDelay(1_000, 11_000, 10_000)).to.equal(0);
    expect(nextRoundDelay(1_000, 50_000, 10_000)).to.equal(0);
  });

  it('runs at most `concurrency` jobs at once, in the order their delays end, results in item order', async () => {
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const results = await spreadRound(
      ['a', 'b', 'c', 'd', 'e'],
      {
        concurrency: 2,
        jitterMs: 100,
        random: draws([0.8, 0, 0.4, 0.2, 0.6]),
        signal: new AbortController().signal,
      },
      async (item) => {
        started.push(item);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return item.toUpperCase();
      },
      () => 'skipped',
    );
    expect(results).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
    expect(most).to.equal(2);
    expect(started[0]).to.equal('b');
    expect(started).to.have.members(['a', 'b', 'c', 'd', 'e']);
  });

  it('a slow job holds one slot only: the others finish meanwhile', async () => {
    const done: string[] = [];
    const started = Date.now();
    await spreadRound(
      ['slow', 'a', 'b', 'c'],
      { concurrency: 2, jitterMs: 0, random: Math.random, signal: new AbortController().signal },
      async (item) => {
        await new Promise((r) => setTimeout(r, item === 'slow' ? 1500 : 20));
        done.push(`${item}@${Date.now() - started}`);
      },
      () => undefined,
    );
    expect(done.map((d) => d.split('@')[0])).to.deep.equal(['a', 'b', 'c', 'slow']);
    const fast = done.slice(0, 3).map((d) => Number(d.split('@')[1]));
    expect(Math.max(...fast)).to.be.below(1200);
  });

  it('an abort ends the jitter waits and the slot queue: those jobs never start', async () => {
    const abort = new AbortController();
    const started: string[] = [];
    const round = spreadRound(
      ['now', 'queued', 'later'],
      { concurrency: 1, jitterMs: 60_000, random: draws([0, 0, 0.9]), signal: abort.signal },
      async (item, signal) => {
        started.push(item);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return 'ran';
      },
      () => 'skipped',
    );
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    expect(await round).to.deep.equal(['ran', 'skipped', 'skipped']);
    expect(started).to.deep.equal(['now']);
  });
});
