import { SERIES } from '../../../lib/acquire/decode/series.js';
import type { DecoderFixtures } from './decoder-contract.js';

/**
 * A MySense telegram as its MQTT output channel publishes it on `IoS/BdP/test_sense`
 * (`RPi/MyMQTTPUB.py`: `{"metadata": <ident without intern_ip, plus apikey>, "data": <the values named
 * in fields>}`), built from MySense's own test data (`testdata/Output_test_data.py`): three sensor
 * groups (a Dylos DC1100, a DHT22, a BME280), `time` in UNIX seconds.
 */
export const MYSENSE_TELEGRAM = {
  metadata: {
    apikey: 'BdP_test_sense',
    geolocation: '51.420635,6.1356117,22.9',
    fields: ['time', 'pm_25', 'pm_10', 'dtemp', 'drh', 'temp', 'rh', 'hpa'],
    extern_ip: ['83.161.151.250'],
    label: 'alphaTest',
    project: 'BdP',
    version: '0.2.28',
    units: ['s', 'pcs/qf', 'pcs/qf', 'C', '%', 'C', '%', 'hPa'],
    serial: 'test_sense',
    types: ['time', 'Dylos DC1100', 'Dylos DC1100', 'DHT22', 'DHT22', 'BME280', 'BME280', 'BME280'],
  },
  data: { time: 1494777772, pm_25: 318.5, pm_10: 62, dtemp: 27.8, drh: 29.3, temp: 28.75, rh: 25, hpa: 712 },
};

/** What `MYSENSE_TELEGRAM` decodes to: MySense's `info` and `data` series. */
export const MYSENSE_INFO = {
  [SERIES]: 'info',
  geolocation: '51.420635,6.1356117,22.9',
  fields: 'time,pm_25,pm_10,dtemp,drh,temp,rh,hpa',
  extern_ip: '83.161.151.250',
  label: 'alphaTest',
  units: 's,pcs/qf,pcs/qf,C,%,C,%,hPa',
  types: 'time,Dylos DC1100,Dylos DC1100,DHT22,DHT22,BME280,BME280,BME280',
};
export const MYSENSE_DATA = {
  [SERIES]: 'data',
  ...MYSENSE_TELEGRAM.data,
  label: 'alphaTest',
  geolocation: '51.420635,6.1356117,22.9',
};

const json = (value: unknown) => JSON.stringify(value);
const ident = { project: 'BdP', serial: 'test_sense', label: 'alphaTest' };

/** `mysenseDecoder`: MySense telegrams, recognised in a JSON data container or a template's JSON. */
export const mysenseFixtures: DecoderFixtures = {
  valid: [
    {
      name: "MySense's documented telegram: info from the metadata, data from the values",
      payload: json(MYSENSE_TELEGRAM),
      expected: [MYSENSE_INFO, MYSENSE_DATA],
    },
    {
      name: 'sensor groups as objects, a sensor without a value, the values bring their own geolocation',
      payload: json({
        metadata: ident,
        data: {
          time: 1494778772,
          BME280: { temp: 21.3, rh: 48.2, hpa: 1013.1 },
          SDS011: { pm25: 4.1, pm10: 7.9 },
          NEO6: null,
          geolocation: '51.433,6.22,13',
        },
      }),
      expected: [
        { [SERIES]: 'info', label: 'alphaTest' },
        {
          [SERIES]: 'data',
          time: 1494778772,
          BME280: { temp: 21.3, rh: 48.2, hpa: 1013.1 },
          SDS011: { pm25: 4.1, pm10: 7.9 },
          NEO6: null,
          geolocation: '51.433,6.22,13',
          label: 'alphaTest',
        },
      ],
    },
    {
      name: 'a telegram before the first values: the info only',
      payload: json({ metadata: { ...ident, fields: ['pm_25'] }, data: { pm_25: null } }),
      expected: [{ [SERIES]: 'info', label: 'alphaTest', fields: 'pm_25' }],
    },
    {
      name: 'values without a label: the data only',
      payload: json({ metadata: { project: 'BdP', serial: 'test_sense' }, data: { pm_25: 3 } }),
      expected: [{ [SERIES]: 'data', pm_25: 3 }],
    },
  ],
  malformed: [
    {
      name: 'a metadata list holding an object',
      payload: json({ metadata: { ...ident, fields: [{ name: 'pm_25' }] }, data: { pm_25: 3 } }),
      error: /MySense document: metadata\.fields\[0\] is an object, not a string or a number/,
    },
    {
      name: 'values as text instead of an object',
      payload: json({ metadata: ident, data: 'pm_25=3' }),
      error: /MySense document: data is a string, not an object/,
    },
  ],
  empty: [
    {
      name: 'empty metadata and data',
      payload: '{"metadata": {}, "data": {}}',
      error: /MySense document: metadata and data hold nothing to store/,
    },
    {
      name: 'only what is not stored, and values without a value',
      payload: json({
        metadata: { project: 'BdP', serial: 's', version: '0.2', apikey: 'k' },
        data: { pm_25: null },
      }),
      error: /MySense document: metadata and data hold nothing to store/,
    },
  ],
  wrongTypes: [
    {
      name: 'metadata as an array',
      payload: json({ metadata: [ident], data: { pm_25: 3 } }),
      error: /MySense document: metadata is an array, not an object/,
    },
    {
      name: 'data null',
      payload: json({ metadata: ident, data: null }),
      error: /MySense document: data is null, not an object/,
    },
    {
      name: 'the project as a number',
      payload: json({ metadata: { ...ident, project: 42 }, data: { pm_25: 3 } }),
      error: /MySense document: metadata\.project is a number, not a string/,
    },
  ],
};
