import { expect } from 'chai';
import { decodeSlot } from '../../../lib/acquire/decode/slot.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { slotCases } from './slot.fixtures.js';

describe('decodeSlot', () => {
  for (const c of slotCases) {
    it(c.name, () => {
      const payload = typeof c.payload === 'string' ? Buffer.from(c.payload, 'utf8') : c.payload;
      if (c.error) {
        expect(() => decodeSlot(c.slot, payload))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(decodeSlot(c.slot, payload)).to.deep.equal(c.expected);
      }
    });
  }

  it('names the slot in its errors', () => {
    expect(() => decodeSlot('sub/data.json', Buffer.from('{'))).to.throw(
      DecodeError,
      /^slot 'sub\/data\.json': /,
    );
  });

  it('keeps the JSON.parse error as cause', () => {
    try {
      decodeSlot('data.json', Buffer.from('{"a": }'));
      expect.fail('decodeSlot did not throw');
    } catch (err) {
      expect(err).to.be.instanceOf(DecodeError);
      expect((err as DecodeError).cause).to.be.instanceOf(SyntaxError);
    }
  });
});
