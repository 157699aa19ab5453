import type { DecoderFixtures } from './decoder-contract.js';

/**
 * `plainValueDecoder` (topic templates only): one value named by the topic's last level, as Telegraf's
 * `value` data format sends it, or a JSON document.
 */
export const plainValueFixtures: DecoderFixtures = {
  valid: [
    { name: 'a number', slot: 'temperature', payload: '21.5', expected: [{ temperature: 21.5 }] },
    { name: 'white space, exponent form', slot: 'weight', payload: ' 1e3\n', expected: [{ weight: 1000 }] },
    { name: 'an integer', slot: 'count', payload: '-42', expected: [{ count: -42 }] },
    { name: 'a boolean', slot: 'door', payload: 'true', expected: [{ door: true }] },
    { name: 'false', slot: 'door', payload: 'false', expected: [{ door: false }] },
    { name: 'a string, trimmed', slot: 'state', payload: ' on\n', expected: [{ state: 'on' }] },
    {
      name: 'the last level of a slot names the field',
      slot: 'tele/plug/POWER',
      payload: 'OFF',
      expected: [{ POWER: 'OFF' }],
    },
    {
      name: 'a JSON object (MySense)',
      slot: 'abc123',
      payload: '{"data": {"temp": 20.1}, "metadata": {"project": "p"}}',
      expected: [{ data: { temp: 20.1 }, metadata: { project: 'p' } }],
    },
    {
      name: 'a JSON array of objects',
      slot: 'x',
      payload: '[{"a": 1}, {"a": 2}]',
      expected: [{ a: 1 }, { a: 2 }],
    },
  ],
  malformed: [
    {
      name: 'invalid UTF-8',
      slot: 'temperature',
      payload: Buffer.from([0xc3, 0x28]),
      error: /^slot 'temperature': payload is not valid UTF-8$/,
    },
    { name: 'broken JSON', slot: 'temperature', payload: '{"t": ', error: /payload is not valid JSON/ },
    { name: 'NaN', slot: 'temperature', payload: 'nan', error: /payload 'nan' is not a finite number/ },
  ],
  empty: [
    { name: 'no payload', slot: 'temperature', payload: '', error: /^slot 'temperature': empty payload$/ },
    { name: 'white space only', slot: 'temperature', payload: ' \n', error: /empty payload/ },
    { name: 'an empty JSON array', slot: 'temperature', payload: '[]', error: /an empty JSON array/ },
  ],
  wrongTypes: [
    { name: 'null', slot: 'temperature', payload: 'null', error: /payload is null, not a value/ },
    {
      name: 'a JSON array of numbers',
      slot: 'temperature',
      payload: '[1, 2]',
      error: /item 0 of the JSON array is a number, not an object/,
    },
  ],
};
