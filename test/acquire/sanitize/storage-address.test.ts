import { expect } from 'chai';
import { topologyToStorage } from '../../../lib/acquire/sanitize/storage-address.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { storageCases } from './storage-address.fixtures.js';

describe('topologyToStorage', () => {
  for (const c of storageCases) {
    it(c.name, () => {
      if (c.error) {
        expect(() => topologyToStorage(c.topology))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(topologyToStorage(c.topology)).to.deep.equal(c.expected);
      }
    });
  }

  it('does not depend on the slot', () => {
    const base = { realm: 'r', network: 'n', gateway: 'g', node: 'x' };
    expect(topologyToStorage({ ...base, slot: 'event.json' })).to.deep.equal(
      topologyToStorage({ ...base, slot: 'data/temperature' }),
    );
  });
});
