import { expect } from 'chai';
import type { InboundMessage } from '../../lib/acquire/source/source.js';
import { ErrorReporter, errorTopic } from '../../lib/channel/error-reporter.js';
import { DecodeError } from '../../lib/core/errors.js';

const wan = { realm: 'hiverize', strategy: 'mqttkit' as const, direct_channel_allowed_networks: ['itest'] };
const lan = { realm: 'basic', strategy: 'basic' as const };

function message(topic: string, payload = '{"v": 1}'): InboundMessage {
  return { topic, payload: Buffer.from(payload), receivedAt: 1_700_000_000_123_456_789n };
}

/** A reporter whose publications are recorded. */
function reporter(options: { intervalMs?: number; burst?: number } = {}) {
  const published: { topic: string; body: Record<string, unknown> }[] = [];
  const failures: string[] = [];
  const errors = new ErrorReporter({
    app: wan,
    publish: async (topic, payload) => {
      if (topic.includes('unreachable')) throw new Error('broker gone');
      published.push({ topic, body: JSON.parse(payload) as Record<string, unknown> });
    },
    onPublishError: (topic) => failures.push(topic),
    ...options,
  });
  return { errors, published, failures };
}

describe('channel/error-reporter', () => {
  it("answers on Kotori's <base topic>/error.json, next to the node", () => {
    const cases: [string, typeof wan | typeof lan, string | undefined][] = [
      ['hiverize/testdrive/area-42/node-1/data.json', wan, 'hiverize/testdrive/area-42/node-1/error.json'],
      [
        'hiverize/testdrive/area-42/node-1/data/temperature',
        wan,
        'hiverize/testdrive/area-42/node-1/error.json',
      ],
      ['hiverize/testdrive/area-42/node-1/data.JSON', wan, 'hiverize/testdrive/area-42/node-1/error.json'],
      ['hiverize/testdrive/area-42/node-1/a/b/c', wan, 'hiverize/testdrive/area-42/node-1/error.json'],
      ['hiverize/device/esp-1/data.json', wan, 'hiverize/device/esp-1/error.json'],
      ['basic/node-7/data.json', lan, 'basic/node-7/error.json'],
      // Undecodable: the last level is replaced.
      ['hiverize/short', wan, 'hiverize/error.json'],
      ['hiverize/itest/data.json', wan, 'hiverize/itest/error.json'],
      ['hiverize/channel/other-gw-node/data.json', wan, 'hiverize/channel/other-gw-node/error.json'],
      ['hiverize/device//data.json', wan, 'hiverize/device//error.json'],
      ['/hiverize/testdrive/gw/node/data.json', wan, '/hiverize/testdrive/gw/node/error.json'],
      // No base topic: nothing to answer on.
      ['hiverize', wan, undefined],
      ['/hiverize', wan, undefined],
    ];
    for (const [topic, app, expected] of cases) expect(errorTopic(topic, app), topic).to.equal(expected);
  });

  it('publishes the Kotori error document', () => {
    const { errors, published } = reporter();
    const outcome = errors.report(
      message('hiverize/testdrive/gw/node/data.json', '{"a": }'),
      new DecodeError('payload is not valid JSON'),
      0,
    );
    expect(outcome).to.equal('published');
    expect(published).to.deep.equal([
      {
        topic: 'hiverize/testdrive/gw/node/error.json',
        body: {
          type: 'DecodeError',
          message: 'payload is not valid JSON',
          description:
            'Error processing MQTT message "{"a": }" from topic "hiverize/testdrive/gw/node/data.json".',
          timestamp: '2023-11-14T22:13:20.123Z',
        },
      },
    ]);
  });

  it('never answers a message on an error topic, whatever its shape', () => {
    const { errors, published } = reporter();
    for (const topic of [
      'hiverize/testdrive/gw/node/error.json',
      'hiverize/itest/error.json',
      'hiverize/channel/other-gw-node/error.json',
      'hiverize/device//error.json',
      '/hiverize/error.json',
      'error.json',
    ]) {
      expect(errors.report(message(topic), new DecodeError('x'), 0), topic).to.equal('error topic');
    }
    expect(published).to.deep.equal([]);
  });

  it('publishes at most one report per base topic per second and says how many it held back', () => {
    const { errors, published } = reporter();
    const bad = message('hiverize/testdrive/gw/node/data.json', 'x');
    const outcomes = [0, 100, 500, 999].map((at) => errors.report(bad, new DecodeError('x'), at));
    expect(outcomes).to.deep.equal(['published', 'held back', 'held back', 'held back']);
    // Another node is not held back by the first one's reports.
    expect(
      errors.report(message('hiverize/testdrive/gw/other/data.json', 'x'), new DecodeError('y'), 999),
    ).to.equal('published');
    expect(errors.report(bad, new DecodeError('x'), 1000)).to.equal('published');
    expect(published.map((p) => [p.topic, p.body['held_back']])).to.deep.equal([
      ['hiverize/testdrive/gw/node/error.json', undefined],
      ['hiverize/testdrive/gw/other/error.json', undefined],
      ['hiverize/testdrive/gw/node/error.json', 3],
    ]);
    expect(errors.counts).to.deep.equal({ published: 3, heldBack: 3, noBaseTopic: 0 });
  });

  it('publishes at most `burst` reports per interval for the whole realm', () => {
    const { errors, published } = reporter({ burst: 5 });
    const outcomes = Array.from({ length: 20 }, (_, i) =>
      errors.report(message(`hiverize/net/gw/node-${i}/data.json`, 'x'), new DecodeError('x'), 10),
    );
    expect(outcomes.filter((o) => o === 'published')).to.have.length(5);
    expect(outcomes.filter((o) => o === 'held back')).to.have.length(15);
    expect(published).to.have.length(5);
    // The next interval lets the held-back topics through again, each with its count.
    errors.report(message('hiverize/net/gw/node-7/data.json', 'x'), new DecodeError('x'), 1010);
    expect(published.at(-1)).to.deep.include({ topic: 'hiverize/net/gw/node-7/error.json' });
    expect(published.at(-1)?.body['held_back']).to.equal(1);
  });

  it('counts a message without a base topic and publishes nothing', () => {
    const { errors, published } = reporter();
    expect(errors.report(message('hiverize'), new DecodeError('x'), 0)).to.equal('no base topic');
    expect(published).to.deep.equal([]);
    expect(errors.counts.noBaseTopic).to.equal(1);
  });

  it('hands a failed publish to onPublishError and goes on', async () => {
    const { errors, failures } = reporter();
    expect(
      errors.report(message('hiverize/unreachable/gw/node/data.json', 'x'), new DecodeError('x'), 0),
    ).to.equal('published');
    await new Promise((r) => setImmediate(r));
    expect(failures).to.deep.equal(['hiverize/unreachable/gw/node/error.json']);
  });
});
