import type { Point } from '../../../lib/core/point.js';

/** A reading and the point it gives (or the error it raises). */
export interface ReadingCase {
  name: string;
  reading: Record<string, unknown>;
  kind?: 'data' | 'event';
  /** Defaults to Kotori's tag fields. */
  tagFields?: readonly string[];
  timezone?: string;
  /** Expected tags; `{}` unless given. */
  tags?: Record<string, string>;
  fields?: Point['fields'];
  /** Expected time; `RECEIVED_AT` (and `timeFromPayload` false) unless given. */
  time?: bigint;
  /** A regular expression the DecodeError message must match. */
  error?: RegExp;
}

export const RECEIVED_AT = 1700000000123456789n;
export const MEASUREMENT = 'foobar_42_sensors';
/** 2020-03-10T03:29:42Z */
const T = 1583810982000000000n;

export const readingCases: ReadingCase[] = [
  // Values
  {
    name: 'numbers stay numbers',
    reading: { temperature: 21.5, count: 42 },
    fields: { temperature: 21.5, count: 42 },
  },
  {
    name: 'numeric strings become numbers',
    reading: { a: '21.5', b: ' 42 ', c: '1e3', d: '-0.5', e: '.25' },
    fields: { a: 21.5, b: 42, c: 1000, d: -0.5, e: 0.25 },
  },
  {
    name: 'other strings stay strings',
    reading: { hex: '0x10', empty: '', unit: '12 V', comma: '1,5', name: 'Köln' },
    fields: { hex: '0x10', empty: '', unit: '12 V', comma: '1,5', name: 'Köln' },
  },
  { name: 'booleans become 1 and 0', reading: { on: true, off: false }, fields: { on: 1, off: 0 } },
  {
    name: 'NaN, Infinity, null and undefined are dropped',
    reading: {
      ok: 1,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      nul: null,
      undef: undefined,
    },
    fields: { ok: 1 },
  },
  {
    name: '"nan" and "inf" strings are dropped like NaN',
    reading: { ok: 1, a: 'nan', b: 'NaN', c: 'inf', d: '-Infinity' },
    fields: { ok: 1 },
  },

  // Flattening
  {
    name: 'nested objects are flattened with a dot',
    reading: {
      DHT22: { Temperature: 21, Humidity: '55.5' },
      BMP280: { Pressure: 1013.2, Meta: { Id: 'x' } },
    },
    fields: {
      'DHT22.Temperature': 21,
      'DHT22.Humidity': 55.5,
      'BMP280.Pressure': 1013.2,
      'BMP280.Meta.Id': 'x',
    },
  },
  {
    name: 'arrays are flattened by index',
    reading: { a: [1, '2', true], b: [{ c: 3 }, [4]] },
    fields: { 'a.0': 1, 'a.1': 2, 'a.2': 1, 'b.0.c': 3, 'b.1.0': 4 },
  },
  { name: 'empty objects and arrays add nothing', reading: { a: {}, b: [], c: 1 }, fields: { c: 1 } },
  {
    name: 'a key named __proto__ is an ordinary field',
    reading: JSON.parse('{"__proto__": 5, "a": 1}'),
    fields: JSON.parse('{"__proto__": 5, "a": 1}'),
  },

  // Tags
  {
    name: "Kotori's tag fields become tags, as text",
    reading: {
      temperature: 21,
      geohash: 'u33dc0',
      location: 'Berlin',
      location_id: 7,
      location_name: 'Garden',
      sensor_id: '0042',
      sensor_type: 'SDS011',
    },
    tags: {
      geohash: 'u33dc0',
      location: 'Berlin',
      location_id: '7',
      location_name: 'Garden',
      sensor_id: '0042',
      sensor_type: 'SDS011',
    },
    fields: { temperature: 21 },
  },
  {
    name: 'boolean tag value as text',
    reading: { a: 1, location: true },
    tags: { location: 'true' },
    fields: { a: 1 },
  },
  {
    name: 'null and empty tag values are left out',
    reading: { a: 1, location: null, sensor_id: '' },
    fields: { a: 1 },
  },
  {
    name: 'the realm decides the tag fields',
    reading: { a: 1, hive: 'H1', location: 'Berlin' },
    tagFields: ['hive'],
    tags: { hive: 'H1' },
    fields: { a: 1, location: 'Berlin' },
  },
  {
    name: 'a tag field can name a flattened key',
    reading: { a: 1, meta: { site: 'north' } },
    tagFields: ['meta.site'],
    tags: { 'meta.site': 'north' },
    fields: { a: 1 },
  },
  {
    name: 'latitude and longitude are fields unless configured as tags',
    reading: { latitude: 52.5, longitude: 13.4 },
    fields: { latitude: 52.5, longitude: 13.4 },
  },

  // Time
  { name: 'no timestamp: received time', reading: { a: 1 }, fields: { a: 1 } },
  {
    name: "'time' is taken out and parsed",
    reading: { time: '2020-03-10T03:29:42Z', a: 1 },
    fields: { a: 1 },
    time: T,
  },
  { name: "'datetime'", reading: { datetime: '2020-03-10T03:29:42Z', a: 1 }, fields: { a: 1 }, time: T },
  {
    name: "'Time' (Tasmota)",
    reading: { Time: '2020-03-10T04:29:42', a: 1 },
    timezone: 'Europe/Berlin',
    fields: { a: 1 },
    time: T,
  },
  {
    name: "'dateTime' (WeeWX, epoch seconds)",
    reading: { dateTime: 1583810982, a: 1 },
    fields: { a: 1 },
    time: T,
  },
  {
    name: "'timestamp'",
    reading: { timestamp: '1583810982123', a: 1 },
    fields: { a: 1 },
    time: T + 123000000n,
  },
  {
    name: 'nanoseconds from a string are exact',
    reading: { time: '1583810982123456789', a: 1 },
    fields: { a: 1 },
    time: 1583810982123456789n,
  },
  {
    name: 'the first candidate wins; a later one stays a field',
    reading: { timestamp: 99, time: 1583810982, a: 1 },
    fields: { timestamp: 99, a: 1 },
    time: T,
  },
  {
    name: 'empty candidates are skipped and dropped',
    reading: { time: '', datetime: null, Time: 0, dateTime: '2020-03-10T03:29:42Z', a: 1 },
    fields: { a: 1 },
    time: T,
  },
  { name: 'only empty candidates: received time', reading: { time: '  ', a: 1 }, fields: { a: 1 } },
  { name: 'a nested time is a field', reading: { gps: { time: 5 }, a: 1 }, fields: { 'gps.time': 5, a: 1 } },
  {
    name: 'a bad timestamp is an error',
    reading: { time: 'soon', a: 1 },
    error: /timestamp 'soon' is not a time/,
  },

  // Events
  {
    name: 'event: strings stay strings',
    kind: 'event',
    reading: { title: 'Swarm', text: '42', tags: 'swarm,alarm', level: 3, urgent: true },
    fields: { title: 'Swarm', text: '42', tags: 'swarm,alarm', level: 3, urgent: 1 },
  },
  {
    name: 'event with a time',
    kind: 'event',
    reading: { title: 'Swarm', time: '2020-03-10T03:29:42Z' },
    fields: { title: 'Swarm' },
    time: T,
  },

  // Errors
  {
    name: 'nothing left to store',
    reading: { time: '2020-03-10T03:29:42Z', location: 'x' },
    error: /no values to store/,
  },
  { name: 'only dropped values', reading: { a: null, b: Number.NaN }, error: /no values to store/ },
  { name: 'empty reading', reading: {}, error: /no values to store/ },
  { name: 'empty field name', reading: { '': 1 }, error: /empty field name/ },
  { name: 'empty nested field name', reading: { a: { '': 1 } }, error: /empty field name in 'a'/ },
  {
    name: 'newline in a field name',
    reading: { 'a\nb': 1 },
    error: /field name "a\\nb" contains control characters/,
  },
  {
    name: 'newline in a tag value',
    reading: { a: 1, location: 'x\ny' },
    error: /tag 'location' value "x\\ny" contains control/,
  },
  {
    name: 'a key given twice by flattening',
    reading: { 'a.b': 1, a: { b: 2 } },
    error: /field 'a\.b' more than once/,
  },
];
