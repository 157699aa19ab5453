import { expect } from 'chai';
import type { BodyDecoder } from '../../../lib/acquire/decode/decoder.js';
import { appBodyDecoder, slotBodyDecoder } from '../../../lib/acquire/decode/slot-body.js';
import { DecodeError } from '../../../lib/core/errors.js';

async function readings(decoder: BodyDecoder, body: string): Promise<Record<string, unknown>[]> {
  const decoded = await decoder.decodeBody(Buffer.from(body), {});
  const out: Record<string, unknown>[] = [];
  for await (const item of decoded.items()) out.push(item.reading);
  return out;
}

describe('decode/slot-body: HTTP bodies read by a slot decoder', () => {
  it("reads bodies posted to airrohr's own slot, whatever their Content-Type", async () => {
    const decoder = slotBodyDecoder('custom/airrohr.json');
    expect(decoder?.name).to.equal('airrohr');
    expect(
      await readings(decoder!, '{"sensordatavalues": [{"value_type": "SDS_P1", "value": "3.5"}]}'),
    ).to.deep.equal([{ SDS_P1: 3.5 }]);
    expect(slotBodyDecoder('data.json')).to.equal(undefined);
  });

  it('reads every body of an app whose decoder takes bodies (ecowitt, airrohr)', async () => {
    const ecowitt = appBodyDecoder('ecowitt', 'data.json');
    expect(ecowitt?.name).to.equal('ecowitt');
    expect(await readings(ecowitt!, 'PASSKEY=x&tempf=48.4')).to.deep.equal([{ tempf: '48.4' }]);
    let thrown: unknown;
    try {
      await readings(ecowitt!, '{"tempf": 1}');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(DecodeError);
    expect(appBodyDecoder('airrohr', 'data.json')?.name).to.equal('airrohr');
  });

  it('leaves the bodies of other apps to their Content-Type', () => {
    for (const name of [undefined, 'homie', 'weewx', 'ttn', 'tasmota', 'line-protocol', 'no-such-decoder']) {
      expect(appBodyDecoder(name, 'data.json'), String(name)).to.equal(undefined);
    }
  });
});
