import { expect } from 'chai';
import { ChannelStats } from '../../lib/channel/channel-stats.js';

describe('channel', () => {
  it('summarises counts and the rate since the last summary', () => {
    const stats = new ChannelStats();
    const start = Date.now();
    stats.received = 120;
    stats.stored = 118;
    stats.failed = 2;
    expect(stats.summarize(start + 60_000)).to.match(
      /^received 120, stored 118, failed 2 in 60 s \(2\.0\/s\)$/,
    );
    stats.received = 130;
    stats.stored = 128;
    expect(stats.summarize(start + 70_000)).to.equal('received 10, stored 10, failed 0 in 10 s (1.0/s)');
    stats.errorReports.heldBack = 40;
    expect(stats.summarize(start + 80_000)).to.equal(
      'received 0, stored 0, failed 0 in 10 s (0.0/s); 40 error report(s) held back',
    );
  });
});
