import type { FieldValue, Point } from '../../core/point.js';

/** Numbers JSON cannot carry; written as `{"number": "<text>"}` so they come back exactly. */
const SPECIAL_NUMBERS = new Set(['NaN', 'Infinity', '-Infinity', '-0']);
const INTEGER = /^-?\d+$/;

/**
 * A point as one JSON object, the form of every file the delivery stage writes (spool batches, dead
 * letters): `{…head, "measurement", "tags", "fields", "time"}` with `time` the integer nanoseconds as a
 * decimal string (exact). Field numbers are JSON numbers (a double round-trips exactly); NaN, ±Infinity
 * and -0, which JSON cannot carry, are written as `{"number": "NaN"}` etc.; an integer (`bigint`) as
 * `{"integer": "<digits>"}`, exact whatever its size. `head`: string members
 * written first (a dead letter's `at`, `database`, `reason`).
 */
export function pointToJson(point: Point, head?: Readonly<Record<string, string>>): string {
  let out = '{';
  if (head !== undefined)
    for (const key in head) out += `${JSON.stringify(key)}:${JSON.stringify(head[key])},`;
  return (
    out +
    '"measurement":' +
    JSON.stringify(point.measurement) +
    ',"tags":' +
    JSON.stringify(point.tags) +
    ',"fields":' +
    fieldsToJson(point.fields) +
    ',"time":"' +
    point.time.toString() +
    '"}'
  );
}

/**
 * The point of a parsed JSON object written by `pointToJson`; throws a plain `Error` saying what is
 * wrong. Also reads what daqd wrote before this codec: `tags` may be missing (none), and a field that is
 * `null` is left out (dead-letter files wrote NaN and ±Infinity so; no store keeps them).
 * Keys such as `__proto__` stay plain keys.
 */
export function jsonToPoint(value: unknown): Point {
  if (!isRecord(value)) throw new Error('not a JSON object');
  const { measurement, time } = value;
  if (typeof measurement !== 'string') throw new Error("no 'measurement' string");
  if (typeof time !== 'string' || !INTEGER.test(time))
    throw new Error("no 'time' string of integer nanoseconds");
  const rawFields = value['fields'];
  if (!isRecord(rawFields)) throw new Error("no 'fields' object");
  const fields: Array<[string, FieldValue]> = [];
  for (const [key, v] of Object.entries(rawFields)) {
    if (v === null) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
      fields.push([key, v]);
      continue;
    }
    const integer = isRecord(v) ? v['integer'] : undefined;
    if (typeof integer === 'string' && INTEGER.test(integer)) {
      fields.push([key, BigInt(integer)]);
      continue;
    }
    const text = isRecord(v) ? v['number'] : undefined;
    if (typeof text !== 'string' || !SPECIAL_NUMBERS.has(text))
      throw new Error(`field '${key}' is not a number, string or boolean`);
    fields.push([key, Number(text)]);
  }
  const rawTags = value['tags'] ?? {};
  if (!isRecord(rawTags)) throw new Error("'tags' is not an object");
  const tags: Array<[string, string]> = [];
  for (const [key, v] of Object.entries(rawTags)) {
    if (typeof v !== 'string') throw new Error(`tag '${key}' is not a string`);
    tags.push([key, v]);
  }
  // fromEntries defines own properties: a key such as `__proto__` stays a plain key.
  return {
    measurement,
    tags: Object.fromEntries(tags),
    fields: Object.fromEntries(fields),
    time: BigInt(time),
  };
}

function isSpecialNumber(value: unknown): value is number {
  return typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0));
}

function specialNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { integer: value.toString() };
  if (!isSpecialNumber(value)) return value;
  return { number: Object.is(value, -0) ? '-0' : String(value) };
}

function fieldsToJson(fields: Readonly<Record<string, FieldValue>>): string {
  for (const key in fields) {
    // Rare: only then pay for a replacer call per value.
    const value = fields[key];
    if (isSpecialNumber(value) || typeof value === 'bigint') return JSON.stringify(fields, specialNumbers);
  }
  return JSON.stringify(fields);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
