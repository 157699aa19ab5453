import { expect } from 'chai';
import { mqttkitTopology } from '../../../../lib/acquire/decode/strategy/mqttkit.js';
import { DecodeError } from '../../../../lib/core/errors.js';
import { mqttkitCases } from './topology.fixtures.js';

describe('mqttkitTopology', () => {
  for (const c of mqttkitCases) {
    it(c.name, () => {
      const options = { realm: c.realm, allowedNetworks: c.allowedNetworks };
      if (c.error) {
        expect(() => mqttkitTopology(c.topic, options))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(mqttkitTopology(c.topic, options)).to.deep.equal(c.expected);
      }
    });
  }
});
