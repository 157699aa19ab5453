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

  it('receives one large body per client at a time, other clients alongside, at most `receiving` in all', async () => {
    const gate = new LargeBodyGate({ receiving: 2 });
    const order: string[] = [];
    const track = (name: string, p: Promise<() => void>) =>
      p.then((release) => {
        order.push(name);
        return release;
      });
    const a1 = await gate.receive('10.0.0.1');
    const a2 = track('a2', gate.receive('10.0.0.1'));
    const b1 = track('b1', gate.receive('10.0.0.2'));
    const c1 = track('c1', gate.receive('10.0.0.3'));
    await new Promise((resolve) => setImmediate(resolve));
    // a2 waits behind its own client's a1; b1 takes the second slot; c1 waits for a free one.
    expect(order).to.deep.equal(['b1']);
    a1();
    a1();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).to.deep.equal(['b1', 'c1']);
    (await b1)();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).to.deep.equal(['b1', 'c1', 'a2']);
    (await a2)();
    (await c1)();
    // Everything free again.
    const again = await Promise.all([gate.receive('10.0.0.1'), gate.receive('10.0.0.2')]);
    for (const release of again) release();
  });
});
