import { expect } from 'chai';
import { basicTopology } from '../../../../lib/acquire/decode/strategy/basic.js';
import { DecodeError } from '../../../../lib/core/errors.js';
import { basicCases } from './topology.fixtures.js';

describe('basicTopology', () => {
  for (const c of basicCases) {
    it(c.name, () => {
      if (c.error) {
        expect(() => basicTopology(c.topic, { realm: c.realm }))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        const topology = basicTopology(c.topic, { realm: c.realm });
        expect(topology).to.deep.equal(c.expected);
        expect(topology).not.to.have.any.keys('network', 'gateway');
      }
    });
  }
});
