import { expect } from 'chai';
import { BoundedCheck } from '../../lib/core/bounded-check.js';

describe('core/bounded-check', () => {
  it('gives the answer of a check that answers in time', async () => {
    const check = new BoundedCheck({ run: async () => 42, waitMs: 200 });
    expect(await check.result()).to.deep.equal({ state: 'answered', value: 42 });
  });

  it('reports a hanging check as slow after waitMs, and runs no second one while it hangs', async () => {
    let runs = 0;
    let answer: (value: boolean) => void = () => {};
    const check = new BoundedCheck({
      run: () => {
        runs++;
        return new Promise<boolean>((resolve) => {
          answer = resolve;
        });
      },
      waitMs: 50,
    });
    const started = performance.now();
    const first = await check.result();
    expect(first.state).to.equal('slow');
    expect(performance.now() - started).to.be.lessThan(500);
    const second = await check.result();
    expect(second.state).to.equal('slow');
    if (second.state === 'slow') expect(second.pendingMs).to.be.at.least(90);
    expect(runs).to.equal(1);
    answer(true);
    await new Promise((r) => setTimeout(r, 0));
    // The hung one answered: the next call runs a fresh check.
    const third = check.result();
    answer(false);
    expect(await third).to.deep.equal({ state: 'answered', value: false });
    expect(runs).to.equal(2);
  });

  it('rejects when the check rejects', async () => {
    const check = new BoundedCheck({ run: () => Promise.reject(new Error('broken')), waitMs: 100 });
    let failure: unknown;
    await check.result().catch((err: unknown) => {
      failure = err;
    });
    expect((failure as Error).message).to.equal('broken');
  });
});
