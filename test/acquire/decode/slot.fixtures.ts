import type { DecodedSlot } from '../../../lib/acquire/decode/slot.js';

/** A slot, its payload, and what `decodeSlot` makes of it (or the error it raises). */
export interface SlotCase {
  name: string;
  slot: string;
  /** Text payloads are UTF-8 encoded; a Buffer is used as it is. */
  payload: string | Buffer;
  expected?: DecodedSlot;
  /** A regular expression the DecodeError message must match. */
  error?: RegExp;
}

const reading = '{"temperature": 21.5, "humidity": 83.1}';
const decoded = [{ temperature: 21.5, humidity: 83.1 }];

export const slotCases: SlotCase[] = [
  // Data containers
  { name: 'data.json', slot: 'data.json', payload: reading, expected: { kind: 'data', readings: decoded } },
  {
    name: 'legacy message-json',
    slot: 'message-json',
    payload: reading,
    expected: { kind: 'data', readings: decoded },
  },
  {
    name: 'Homie data/__json__',
    slot: 'data/__json__',
    payload: reading,
    expected: { kind: 'data', readings: decoded },
  },
  { name: 'WeeWX loop', slot: 'loop', payload: reading, expected: { kind: 'data', readings: decoded } },
  {
    name: 'data.json below a sub-path',
    slot: 'sub/data.json',
    payload: reading,
    expected: { kind: 'data', readings: decoded },
  },
  {
    name: 'data.json with a JSON array of objects (bulk)',
    slot: 'data.json',
    payload: '[{"a": 1}, {"a": 2, "time": "2020-03-10T03:29:42Z"}]',
    expected: { kind: 'data', readings: [{ a: 1 }, { a: 2, time: '2020-03-10T03:29:42Z' }] },
  },
  {
    name: 'data.json keeps nested values raw',
    slot: 'data.json',
    payload: '{"DHT22": {"Temperature": 21}, "list": [1, 2], "s": "21.5"}',
    expected: { kind: 'data', readings: [{ DHT22: { Temperature: 21 }, list: [1, 2], s: '21.5' }] },
  },
  {
    name: 'data.json with a byte order mark',
    slot: 'data.json',
    payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a": 1}')]),
    expected: { kind: 'data', readings: [{ a: 1 }] },
  },
  {
    name: 'data.json with UTF-8 text',
    slot: 'data.json',
    payload: '{"Temperatur °C": 21, "Ort": "Köln"}',
    expected: { kind: 'data', readings: [{ 'Temperatur °C': 21, Ort: 'Köln' }] },
  },

  // Discrete values
  {
    name: 'data/<field>',
    slot: 'data/temperature',
    payload: '21.5',
    expected: { kind: 'data', readings: [{ temperature: 21.5 }] },
  },
  {
    name: 'legacy measure/<field>',
    slot: 'measure/humidity',
    payload: '83',
    expected: { kind: 'data', readings: [{ humidity: 83 }] },
  },
  {
    name: 'discrete with white space',
    slot: 'data/weight',
    payload: ' 42 \n',
    expected: { kind: 'data', readings: [{ weight: 42 }] },
  },
  {
    name: 'discrete in exponent form',
    slot: 'data/weight',
    payload: '1e3',
    expected: { kind: 'data', readings: [{ weight: 1000 }] },
  },
  {
    name: 'discrete negative',
    slot: 'data/temperature',
    payload: '-3.25',
    expected: { kind: 'data', readings: [{ temperature: -3.25 }] },
  },
  {
    name: 'discrete not a number',
    slot: 'data/temperature',
    payload: 'warm',
    error: /payload 'warm' is not a finite number/,
  },
  { name: 'discrete hexadecimal', slot: 'data/temperature', payload: '0x10', error: /not a finite number/ },
  { name: 'discrete empty payload', slot: 'data/temperature', payload: '', error: /not a finite number/ },
  { name: 'discrete nan', slot: 'data/temperature', payload: 'nan', error: /not a finite number/ },
  {
    name: 'discrete invalid UTF-8',
    slot: 'data/temperature',
    payload: Buffer.from([0x32, 0xff, 0x31]),
    error: /not valid UTF-8/,
  },
  {
    name: 'deeper path below data/ is no discrete value',
    slot: 'data/a/b',
    payload: '1',
    error: /^slot 'data\/a\/b' is not a known slot \(known: data\.json, .*data\/<field>.*event\.json/,
  },

  // Events
  {
    name: 'event.json',
    slot: 'event.json',
    payload: '{"title": "Swarm", "text": "Colony left", "tags": "swarm,alarm"}',
    expected: { kind: 'event', readings: [{ title: 'Swarm', text: 'Colony left', tags: 'swarm,alarm' }] },
  },
  {
    name: 'Homie event/__json__',
    slot: 'event/__json__',
    payload: '{"title": "Reboot"}',
    expected: { kind: 'event', readings: [{ title: 'Reboot' }] },
  },
  {
    name: 'event.json with an array',
    slot: 'event.json',
    payload: '[{"title": "a"}, {"title": "b"}]',
    expected: { kind: 'event', readings: [{ title: 'a' }, { title: 'b' }] },
  },

  // Tasmota (Kotori: a slot ending in SENSOR or STATE), after Kotori's own slots
  {
    name: 'Tasmota tele/SENSOR',
    slot: 'tele/SENSOR',
    payload: '{"Time": "2017-02-16T10:13:52", "DS18B20": {"Temperature": 20.6}, "TempUnit": "C"}',
    expected: { kind: 'data', readings: [{ Time: '2017-02-16T10:13:52', 'DS18B20.Temperature': 20.6 }] },
  },
  {
    name: 'Tasmota tele/STATE',
    slot: 'tele/STATE',
    payload: '{"Time": "2019-06-02T22:13:07", "POWER": "ON", "Vcc": 3.182}',
    expected: { kind: 'data', readings: [{ Time: '2019-06-02T22:13:07', 'Device.Vcc': 3.182 }] },
  },
  {
    name: 'a discrete value named SENSOR stays a discrete value',
    slot: 'data/SENSOR',
    payload: '21.5',
    expected: { kind: 'data', readings: [{ SENSOR: 21.5 }] },
  },
  {
    name: 'Tasmota slots are case-sensitive',
    slot: 'tele/sensor',
    payload: '{"DS18B20": {"Temperature": 20.6}}',
    error: /'tele\/sensor' is not a known slot/,
  },

  // Ignored
  {
    name: 'error.json is ignored (loop protection), payload not read',
    slot: 'error.json',
    payload: 'not even json',
    expected: { kind: 'ignore', reason: "slot 'error.json' carries error reports" },
  },
  {
    name: 'data/error.json is ignored too',
    slot: 'data/error.json',
    payload: '{"message": "x"}',
    expected: { kind: 'ignore', reason: "slot 'data/error.json' carries error reports" },
  },
  {
    name: 'an error report below a Tasmota slot is ignored too',
    slot: 'tele/SENSOR/error.json',
    payload: '{"message": "x"}',
    expected: { kind: 'ignore', reason: "slot 'tele/SENSOR/error.json' carries error reports" },
  },
  {
    name: 'an error slot under a deeper path is ignored too',
    slot: 'a/b/error.json',
    payload: Buffer.from([0xff, 0xfe]),
    expected: { kind: 'ignore', reason: "slot 'a/b/error.json' carries error reports" },
  },

  // Unknown slots: an error naming the known ones, the payload not read
  {
    name: 'unknown slot, payload not read',
    slot: 'status',
    payload: Buffer.from([0xff, 0xfe]),
    error:
      /^slot 'status' is not a known slot \(known: data\.json, message-json, data\/__json__, event\/__json__, loop, data\/<field>, measure\/<field>, event\.json, tele\/SENSOR, tele\/STATE, custom\/airrohr\.json\)$/,
  },
  {
    name: 'a name that merely ends like a container is unknown',
    slot: 'mydata.json',
    payload: reading,
    error: /^slot 'mydata\.json' is not a known slot/,
  },
  {
    name: 'slot names are case-sensitive',
    slot: 'data.JSON',
    payload: reading,
    error: /'data\.JSON' is not a known slot/,
  },
  { name: 'json alone is no slot', slot: 'json', payload: reading, error: /'json' is not a known slot/ },

  // Bad payloads
  { name: 'bad JSON', slot: 'data.json', payload: '{"a": }', error: /payload is not valid JSON: .+/ },
  { name: 'truncated JSON', slot: 'event.json', payload: '{"title": "x"', error: /not valid JSON/ },
  { name: 'empty payload', slot: 'data.json', payload: '', error: /not valid JSON/ },
  { name: 'JSON number', slot: 'data.json', payload: '42', error: /payload is a number, not a JSON object/ },
  {
    name: 'JSON string',
    slot: 'data.json',
    payload: '"hello"',
    error: /payload is a string, not a JSON object/,
  },
  { name: 'JSON null', slot: 'data.json', payload: 'null', error: /payload is null, not a JSON object/ },
  { name: 'empty JSON array', slot: 'data.json', payload: '[]', error: /empty JSON array/ },
  {
    name: 'JSON array with a scalar',
    slot: 'data.json',
    payload: '[{"a": 1}, 2]',
    error: /item 1 of the JSON array is a number/,
  },
  {
    name: 'JSON array of arrays',
    slot: 'data.json',
    payload: '[[1]]',
    error: /item 0 of the JSON array is an array/,
  },
  {
    name: 'invalid UTF-8',
    slot: 'data.json',
    payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    error: /payload is not valid UTF-8/,
  },
];
