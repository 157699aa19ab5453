import { expect } from 'chai';
import { removePasskey } from '../../../lib/acquire/decode/ecowitt-passkey.js';
import { formReadings } from '../../../lib/acquire/decode/form.js';
import { jsonReadings } from '../../../lib/acquire/decode/json-body.js';

describe('removePasskey', () => {
  it("removePasskey drops Ecowitt's PASSKEY in any case and nothing else", () => {
    expect(removePasskey({ PASSKEY: 'a', passkey: 'b', PassKey: 'c', passkeys: 'd', v: 1 })).to.deep.equal({
      passkeys: 'd',
      v: 1,
    });
    expect(jsonReadings('[{"PASSKEY": "x", "v": 1}]').readings).to.deep.equal([{ v: 1 }]);
    expect(formReadings('PASSKEY=x&v=1').readings).to.deep.equal([{ v: '1' }]);
  });
});
