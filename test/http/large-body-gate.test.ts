import { expect } from 'chai';
import { LargeBodyGate } from '../../lib/http/large-body-gate.js';

describe('LargeBodyGate', () => {
  it('takes bodies over 1 MiB and bodies of unknown length (chunked) as large', () => {
    const gate = new LargeBodyGate();
    expect(gate.isLarge('0')).to.equal(false);
    expect(gate.isLarge(String(1024 * 1024))).to.equal(false);
    expect(gate.isLarge(String(1024 * 1024 + 1))).to.equal(true);
    expect(gate.isLarge(undefined)).to.equal(true);
    expect(gate.isLarge('')).to.equal(true);
  });

  it('lets one body in at a time, the waiting ones in arrival order', async () => {
    const gate = new LargeBodyGate();
    const order: string[] = [];
    const first = await gate.enter();
    const second = gate.enter().then((release) => {
      order.push('second');
      return release;
    });
    const third = gate.enter().then((release) => {
      order.push('third');
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).to.deep.equal([]);
    first();
    // A second call of the same release function changes nothing.
    first();
    const releaseSecond = await second;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).to.deep.equal(['second']);
    releaseSecond();
    (await third)();
    expect(order).to.deep.equal(['second', 'third']);
    // Open again: the next one gets in at once.
    (await gate.enter())();
  });
});
