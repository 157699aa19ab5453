import { expect } from 'chai';
import { redactPasskey, removePasskey } from '../../../lib/acquire/decode/ecowitt-passkey.js';
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

describe('redactPasskey', () => {
  it('hides the value of PASSKEY as JSON, a form and line protocol write it, in any case', () => {
    expect(redactPasskey('{"PASSKEY": "ABCDEF0123", "tempf": 70}')).to.equal(
      '{"PASSKEY": "***", "tempf": 70}',
    );
    expect(redactPasskey('{"passkey":1234,"a":1}')).to.equal('{"passkey":"***","a":1}');
    expect(redactPasskey('{"PassKey":"a\\"b","x":1}')).to.equal('{"PassKey":"***","x":1}');
    expect(redactPasskey('PASSKEY=ABC123&stationtype=EasyWeather')).to.equal(
      'PASSKEY=***&stationtype=EasyWeather',
    );
    expect(redactPasskey('weather,PASSKEY=abc temp=1')).to.equal('weather,PASSKEY=*** temp=1');
    expect(redactPasskey('no secret here: {"passkeys_seen": 2}')).to.equal(
      'no secret here: {"passkeys_seen": 2}',
    );
  });
});
