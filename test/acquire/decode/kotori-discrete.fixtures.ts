import type { DecoderFixtures } from './decoder-contract.js';

/** `kotoriDiscreteDecoder`: one number as text on `data/<field>` or `measure/<field>`. */
export const kotoriDiscreteFixtures: DecoderFixtures = {
  valid: [
    { name: 'data/<field>', slot: 'data/temperature', payload: '21.5', expected: [{ temperature: 21.5 }] },
    { name: 'legacy measure/<field>', slot: 'measure/humidity', payload: '83', expected: [{ humidity: 83 }] },
    {
      name: 'white space and exponent form',
      slot: 'data/weight',
      payload: ' 1e3\n',
      expected: [{ weight: 1000 }],
    },
    { name: 'negative', slot: 'data/t', payload: '-7.25', expected: [{ t: -7.25 }] },
  ],
  malformed: [
    {
      name: 'invalid UTF-8',
      slot: 'data/temperature',
      payload: Buffer.from([0xc3, 0x28]),
      error: /^slot 'data\/temperature': payload is not valid UTF-8$/,
    },
    {
      name: 'a decimal comma',
      slot: 'data/temperature',
      payload: '1,5',
      error: /payload '1,5' is not a finite number/,
    },
  ],
  empty: [
    { name: 'no payload', slot: 'data/temperature', payload: '', error: /payload '' is not a finite number/ },
  ],
  wrongTypes: [
    {
      name: 'a word',
      slot: 'data/temperature',
      payload: 'warm',
      error: /^slot 'data\/temperature': payload 'warm' is not a finite number$/,
    },
    { name: 'JSON', slot: 'data/temperature', payload: '{"t": 1}', error: /is not a finite number/ },
    { name: 'nan', slot: 'data/temperature', payload: 'nan', error: /payload 'nan' is not a finite number/ },
    { name: 'hexadecimal', slot: 'data/temperature', payload: '0x10', error: /not a finite number/ },
  ],
};
