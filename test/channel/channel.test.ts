import { expect } from 'chai';
import { errorTopic } from '../../lib/channel/channel.js';
import { ChannelStats } from '../../lib/channel/channel-stats.js';

describe('channel', () => {
  const wan = { realm: 'hiverize', strategy: 'mqttkit' as const, tags: [] };
  const lan = { realm: 'basic', strategy: 'basic' as const, tags: [] };

  it("answers on Kotori's <base topic>/error.json, next to the node", () => {
    const cases: [string, typeof wan | typeof lan, string][] = [
      ['hiverize/testdrive/area-42/node-1/data.json', wan, 'hiverize/testdrive/area-42/node-1/error.json'],
      [
        'hiverize/testdrive/area-42/node-1/data/temperature',
        wan,
        'hiverize/testdrive/area-42/node-1/error.json',
      ],
      ['hiverize/device/esp-1/data.json', wan, 'hiverize/device/esp-1/error.json'],
      ['basic/node-7/data.json', lan, 'basic/node-7/error.json'],
      // Undecodable: the last level is replaced.
      ['hiverize/short', wan, 'hiverize/error.json'],
    ];
    for (const [topic, app, expected] of cases) expect(errorTopic(topic, app), topic).to.equal(expected);
  });

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
  });
});
