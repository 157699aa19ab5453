import { expect } from 'chai';
import { topicToTopology } from '../../../lib/acquire/decode/topic.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { basicCases, mqttkitCases } from './strategy/topology.fixtures.js';

describe('topicToTopology', () => {
  describe("strategy 'mqttkit'", () => {
    for (const c of mqttkitCases) {
      it(c.name, () => {
        const app = {
          realm: c.realm,
          strategy: 'mqttkit' as const,
          direct_channel_allowed_networks: c.allowedNetworks,
        };
        if (c.error) expect(() => topicToTopology(c.topic, app)).to.throw(DecodeError, c.error);
        else expect(topicToTopology(c.topic, app)).to.deep.equal(c.expected);
      });
    }
  });

  describe("strategy 'basic'", () => {
    for (const c of basicCases) {
      it(c.name, () => {
        const app = { realm: c.realm, strategy: 'basic' as const };
        if (c.error) expect(() => topicToTopology(c.topic, app)).to.throw(DecodeError, c.error);
        else expect(topicToTopology(c.topic, app)).to.deep.equal(c.expected);
      });
    }
  });

  it('reads the same topic differently per strategy', () => {
    const topic = 'workbench/a/b/c/data.json';
    expect(topicToTopology(topic, { realm: 'workbench', strategy: 'mqttkit' })).to.deep.equal({
      realm: 'workbench',
      network: 'a',
      gateway: 'b',
      node: 'c',
      slot: 'data.json',
    });
    expect(topicToTopology(topic, { realm: 'workbench', strategy: 'basic' })).to.deep.equal({
      realm: 'workbench',
      node: 'a',
      slot: 'b/c/data.json',
    });
  });
});
