import type { DecoderFixtures } from './decoder-contract.js';

/**
 * An Ecowitt »Customized« upload (protocol Ecowitt) as an HP1000SE-PRO posts it: Kotori's
 * test_ecowitt.py sends these fields (a part of them here).
 */
export const ECOWITT_UPLOAD =
  'PASSKEY=B950C0FFEE&stationtype=EasyWeatherPro_V5.0.6&runtime=456128&dateutc=2023-02-20+16:02:19' +
  '&tempinf=69.8&humidityin=47&baromrelin=29.713&tempf=48.4&humidity=80&winddir=108' +
  '&windspeedmph=1.12&soilmoisture1=46&wh90batt=3.04&freq=868M&model=HP1000SE-PRO_Pro_V1.8.5';

/** `ecowittDecoder`: an Ecowitt station's form upload (chosen by `decoder = ecowitt`). */
export const ecowittFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'an HP1000SE-PRO upload: PASSKEY dropped, every other field as the station names it',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: ECOWITT_UPLOAD,
      expected: [
        {
          stationtype: 'EasyWeatherPro_V5.0.6',
          runtime: '456128',
          dateutc: '2023-02-20 16:02:19',
          tempinf: '69.8',
          humidityin: '47',
          baromrelin: '29.713',
          tempf: '48.4',
          humidity: '80',
          winddir: '108',
          windspeedmph: '1.12',
          soilmoisture1: '46',
          wh90batt: '3.04',
          freq: '868M',
          model: 'HP1000SE-PRO_Pro_V1.8.5',
        },
      ],
    },
    {
      name: 'percent escapes, an empty value left out, the first of a repeated name, a trailing &',
      slot: '',
      match: { kind: 'data', field: 'weather' },
      payload: 'passkey=x&model=GW1100A%2FWH65&lightning_time=&tempf=50.1&tempf=9&',
      expected: [{ model: 'GW1100A/WH65', tempf: '50.1' }],
    },
  ],
  malformed: [
    {
      name: 'a part without =',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: 'tempf=48.4&humidity',
      error: /^slot 'data\.json': Ecowitt upload: part 2 'humidity' is not name=value$/,
    },
    {
      name: 'a part without a name',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: 'tempf=48.4&=80',
      error: /^slot 'data\.json': Ecowitt upload: part 2 has no name$/,
    },
    {
      name: 'invalid UTF-8',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: Buffer.from([0x61, 0x3d, 0xff]),
      error: /^slot 'data\.json': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    {
      name: 'no payload',
      slot: '',
      match: { kind: 'data' },
      payload: '  ',
      error: /^Ecowitt upload is empty$/,
    },
    {
      name: 'only empty values',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: 'tempf=&humidity=',
      error: /Ecowitt upload holds no field with a value besides the PASSKEY$/,
    },
  ],
  wrongTypes: [
    {
      name: 'JSON instead of form fields',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: '{"tempf": 48.4}',
      error: /^slot 'data\.json': Ecowitt upload is JSON, not form fields \(name=value&…\)$/,
    },
    {
      name: 'only the PASSKEY',
      slot: 'data.json',
      match: { kind: 'data' },
      payload: 'PASSKEY=B950C0FFEE',
      error: /holds no field with a value besides the PASSKEY$/,
    },
  ],
};
