import type { DecoderFixtures } from './decoder-contract.js';

/** An upload as the airrohr firmware posts it to a custom API: every value as text. */
export const AIRROHR_UPLOAD = {
  esp8266id: '15307332',
  software_version: 'NRZ-2020-133',
  sensordatavalues: [
    { value_type: 'SDS_P1', value: '12.43' },
    { value_type: 'SDS_P2', value: '4.07' },
    { value_type: 'BME280_temperature', value: '-1.25' },
    { value_type: 'BME280_pressure', value: '99823.44' },
    { value_type: 'BME280_humidity', value: '81.30' },
    { value_type: 'samples', value: '3141592' },
    { value_type: 'min_micro', value: '28' },
    { value_type: 'max_micro', value: '20114' },
    { value_type: 'interval', value: '145000' },
    { value_type: 'signal', value: '-71' },
  ],
};

/** What `AIRROHR_UPLOAD` decodes to: a field per `value_type`, as numbers. */
export const AIRROHR_READING = {
  SDS_P1: 12.43,
  SDS_P2: 4.07,
  BME280_temperature: -1.25,
  BME280_pressure: 99823.44,
  BME280_humidity: 81.3,
  samples: 3141592,
  min_micro: 28,
  max_micro: 20114,
  interval: 145000,
  signal: -71,
};

const json = (value: unknown) => JSON.stringify(value);
const SLOT = 'custom/airrohr.json';

/** `airrohrDecoder`: airrohr (Sensor.Community) uploads on `…airrohr.json`. */
export const airrohrFixtures: DecoderFixtures = {
  valid: [
    { name: 'a firmware upload', slot: SLOT, payload: json(AIRROHR_UPLOAD), expected: [AIRROHR_READING] },
    {
      name: 'numbers as numbers, text that is no number kept as text',
      slot: 'airrohr.json',
      payload: json({
        sensordatavalues: [
          { value_type: 'GPS_lat', value: 52.5 },
          { value_type: 'GPS_date', value: '05/17/2024' },
        ],
      }),
      expected: [{ GPS_lat: 52.5, GPS_date: '05/17/2024' }],
    },
  ],
  malformed: [
    {
      name: 'bad JSON',
      slot: SLOT,
      payload: '{"sensordatavalues": [',
      error: /^slot 'custom\/airrohr\.json': airrohr payload is not valid JSON: /,
    },
    {
      name: 'no sensordatavalues (plain JSON on the airrohr path)',
      slot: SLOT,
      payload: '{"temperature": 21.5}',
      error: /^slot 'custom\/airrohr\.json': airrohr payload has no sensordatavalues$/,
    },
    {
      name: 'a value_type given twice',
      slot: SLOT,
      payload: json({
        sensordatavalues: [
          { value_type: 'a', value: '1' },
          { value_type: 'a', value: '2' },
        ],
      }),
      error: /^slot 'custom\/airrohr\.json': airrohr sensordatavalues\[1\]: value_type 'a' is given twice$/,
    },
    {
      name: 'an item without value_type',
      slot: SLOT,
      payload: json({ sensordatavalues: [{ value: '1' }] }),
      error:
        /^slot 'custom\/airrohr\.json': airrohr sensordatavalues\[0\]: value_type is missing, not a string$/,
    },
  ],
  empty: [
    {
      name: 'no payload',
      slot: SLOT,
      payload: '',
      error: /^slot 'custom\/airrohr\.json': airrohr payload is empty$/,
    },
    {
      name: 'no values',
      slot: SLOT,
      payload: '{"esp8266id": "1", "sensordatavalues": []}',
      error: /^slot 'custom\/airrohr\.json': airrohr sensordatavalues is empty$/,
    },
  ],
  wrongTypes: [
    {
      name: 'an array',
      slot: SLOT,
      payload: '[{"value_type": "a", "value": "1"}]',
      error: /^slot 'custom\/airrohr\.json': airrohr payload is an array, not a JSON object$/,
    },
    {
      name: 'sensordatavalues is an object',
      slot: SLOT,
      payload: '{"sensordatavalues": {"SDS_P1": "1"}}',
      error: /^slot 'custom\/airrohr\.json': airrohr sensordatavalues is an object, not an array$/,
    },
    {
      name: 'a value that is an object',
      slot: SLOT,
      payload: json({ sensordatavalues: [{ value_type: 'a', value: { b: 1 } }] }),
      error:
        /^slot 'custom\/airrohr\.json': airrohr sensordatavalues\[0\]: value of 'a' is an object, not a number or text$/,
    },
    {
      name: 'an item that is text',
      slot: SLOT,
      payload: '{"sensordatavalues": ["SDS_P1=1"]}',
      error: /^slot 'custom\/airrohr\.json': airrohr sensordatavalues\[0\] is a string, not an object$/,
    },
  ],
};

/** `airrohrDocumentDecoder`: an airrohr upload among the readings of `…/data` (recognised by its shape). */
export const airrohrDocumentFixtures: DecoderFixtures = {
  valid: [
    { name: 'a firmware upload', payload: json(AIRROHR_UPLOAD), expected: [AIRROHR_READING] },
    {
      // Kotori's test_airrohr.py payload: an integer esp8266id.
      name: "Kotori's upload, esp8266id a number",
      payload: json({
        esp8266id: 12041741,
        sensordatavalues: [
          { value_type: 'SDS_P1', value: '35.67' },
          { value_type: 'BME280_temperature', value: '-2.83' },
        ],
        software_version: 'NRZ-2018-123B',
      }),
      expected: [{ SDS_P1: 35.67, BME280_temperature: -2.83 }],
    },
  ],
  malformed: [
    {
      name: 'an item without value_type',
      payload: json({ esp8266id: '1', sensordatavalues: [{ value: '1.0' }] }),
      error: /^airrohr upload sensordatavalues\[0\]: value_type is missing, not a string$/,
    },
    {
      name: 'a value_type given twice',
      payload: json({
        esp8266id: '1',
        sensordatavalues: [
          { value_type: 'SDS_P1', value: '1' },
          { value_type: 'SDS_P1', value: '2' },
        ],
      }),
      error: /sensordatavalues\[1\]: value_type 'SDS_P1' is given twice$/,
    },
  ],
  empty: [
    {
      name: 'no sensordatavalues',
      payload: json({ esp8266id: '1', software_version: 'NRZ-2020-133', sensordatavalues: [] }),
      error: /^airrohr upload sensordatavalues is empty$/,
    },
  ],
  wrongTypes: [
    {
      name: 'sensordatavalues an object',
      payload: json({ esp8266id: '1', sensordatavalues: { SDS_P1: '1' } }),
      error: /^airrohr upload sensordatavalues is an object, not an array$/,
    },
    {
      name: 'a value that is an array',
      payload: json({ software_version: 'x', sensordatavalues: [{ value_type: 'SDS_P1', value: [1] }] }),
      error: /value of 'SDS_P1' is an array, not a number or text$/,
    },
  ],
};
