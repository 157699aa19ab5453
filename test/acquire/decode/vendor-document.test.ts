import { expect } from 'chai';
import { vendorDocuments } from '../../../lib/acquire/decode/vendor-document.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { TTN_UPLINK, TTN_UPLINK_READING } from './ttn.fixtures.js';

describe('vendorDocuments', () => {
  const plain = { temperature: 21.5 };

  it('decodes a TTN uplink among the readings of a data container, leaving the others', () => {
    expect(vendorDocuments('data.json', 'data', [plain, TTN_UPLINK, plain])).to.deep.equal([
      plain,
      TTN_UPLINK_READING,
      plain,
    ]);
    expect(vendorDocuments('custom/data.json', 'data', [TTN_UPLINK])).to.deep.equal([TTN_UPLINK_READING]);
  });

  it('looks only where Kotori does: data readings of a slot ending in data.json', () => {
    for (const [slot, kind] of [
      ['event.json', 'event'],
      ['data.json', 'event'],
      ['data/__json__', 'data'],
      ['loop', 'data'],
    ] as const) {
      const readings = [TTN_UPLINK];
      expect(vendorDocuments(slot, kind, readings), `${slot} ${kind}`).to.equal(readings);
    }
  });

  it('takes a reading with a plain field named uplink_message for a reading', () => {
    const readings = [{ uplink_message: 'hello', v: 1 }];
    expect(vendorDocuments('data.json', 'data', readings)).to.equal(readings);
  });

  it('refuses a malformed uplink with a DecodeError instead of storing its raw fields', () => {
    expect(() => vendorDocuments('data.json', 'data', [{ uplink_message: { f_cnt: 1 } }]))
      .to.throw(DecodeError)
      .with.property('message')
      .that.matches(/no uplink_message\.decoded_payload/);
  });
});
