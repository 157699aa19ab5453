import { expect } from 'chai';
import { plainValueDecoder } from '../../../lib/acquire/decode/plain-value.js';
import { classifySlot, decodeSlotPayload } from '../../../lib/acquire/decode/slot.js';

describe('plain values are for topic templates only', () => {
  it('an mqttkit or basic slot no decoder knows stays an unknown slot', () => {
    expect(classifySlot('temperature')).to.deep.equal({ kind: 'unknown', slot: 'temperature' });
    expect(classifySlot('foo/bar')).to.have.property('kind', 'unknown');
  });

  it('a template topic without {slot} goes to the plain-value decoder, named by its field', () => {
    const slotClass = classifySlot('', 'temperature');
    expect(slotClass).to.deep.equal({
      kind: 'decoder',
      decoder: plainValueDecoder,
      match: { kind: 'data', field: 'temperature' },
    });
    expect(decodeSlotPayload('', slotClass, Buffer.from('21.5'))).to.deep.equal({
      kind: 'data',
      readings: [{ temperature: 21.5 }],
    });
  });

  it("a template's {slot} goes to Kotori's decoders first, then to plain values", () => {
    expect(classifySlot('data.json', 'data.json')).to.have.nested.property('decoder.name', 'kotori-json');
    expect(classifySlot('POWER', 'POWER')).to.have.nested.property('decoder.name', 'plain-value');
  });

  it('error reports are ignored under a template too (loop protection)', () => {
    expect(classifySlot('error.json', 'error.json')).to.have.property('kind', 'ignore');
  });
});
