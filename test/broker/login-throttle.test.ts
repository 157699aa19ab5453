import { expect } from 'chai';
import { LoginThrottle } from '../../lib/broker/login-throttle.js';

describe('LoginThrottle', () => {
  function throttle() {
    let now = 1_000_000;
    const t = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000, maxWaiting: 3, now: () => now });
    return { t, advance: (ms: number) => (now += ms) };
  }

  it('checks a source without wrong passwords at once', () => {
    const { t } = throttle();
    expect(t.arrive('10.0.0.1')).to.deep.equal({ kind: 'check', delayMs: 0, queued: false });
  });

  it('doubles the wait with each wrong password in a row, up to the maximum', () => {
    const { t, advance } = throttle();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const turn = t.arrive('10.0.0.1');
      if (turn.kind !== 'check') expect.fail('refused');
      waits.push(turn.delayMs);
      advance(turn.delayMs);
      t.settled('10.0.0.1', false, turn.queued);
    }
    expect(waits).to.deep.equal([0, 100, 200, 400, 800, 1000, 1000]);
    expect(t.failures('10.0.0.1')).to.equal(7);
  });

  it('queues attempts arriving at once behind each other, and refuses past maxWaiting', () => {
    const { t } = throttle();
    t.settled('10.0.0.1', false, false);
    t.settled('10.0.0.1', false, false);
    const turns = [t.arrive('10.0.0.1'), t.arrive('10.0.0.1'), t.arrive('10.0.0.1'), t.arrive('10.0.0.1')];
    expect(turns.map((turn) => (turn.kind === 'check' ? turn.delayMs : 'refuse'))).to.deep.equal([
      200,
      400,
      600,
      'refuse',
    ]);
  });

  it('keeps sources apart, and a right password ends the slowdown', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 3; i++) t.settled('10.0.0.1', false, false);
    expect(t.arrive('10.0.0.2')).to.deep.equal({ kind: 'check', delayMs: 0, queued: false });
    const turn = t.arrive('10.0.0.1');
    expect(turn).to.deep.include({ kind: 'check', queued: true });
    if (turn.kind === 'check') advance(turn.delayMs);
    t.settled('10.0.0.1', true, true);
    expect(t.failures('10.0.0.1')).to.equal(0);
    expect(t.arrive('10.0.0.1')).to.deep.equal({ kind: 'check', delayMs: 0, queued: false });
  });

  it('forgets a source after forgetAfterMs without wrong passwords', () => {
    let now = 0;
    const t = new LoginThrottle({ baseDelayMs: 100, forgetAfterMs: 5000, now: () => now });
    t.settled('10.0.0.1', false, false);
    expect(t.failures('10.0.0.1')).to.equal(1);
    now += 5001;
    expect(t.failures('10.0.0.1')).to.equal(0);
  });
});
