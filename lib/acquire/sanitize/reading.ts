import { DecodeError } from '../../core/errors.js';
import type { FieldValue, Point } from '../../core/point.js';
import { parseNumericText } from '../decode/numeric-text.js';
import { parseTimestamp } from './timestamp.js';
import { refuseTrailingBackslash } from './trailing-backslash.js';

/** What `readingToPoint` needs besides the reading. */
export interface ReadingOptions {
  /** Measurement of the point (`…_sensors` or `…_events`, from the storage address). */
  measurement: string;
  /** Field names stored as tags (the realm's `tags`, by default Kotori's `DEFAULT_TAG_FIELDS`). */
  tagFields: readonly string[];
  /** IANA zone for zone-less timestamp strings. */
  timezone: string;
  /** Receive time, integer ns: the point's time when the reading has none. */
  receivedAt: bigint;
  /** `data`: numeric strings become numbers. `event`: strings stay strings. */
  kind: 'data' | 'event';
}

/** The point of one reading, and whether its time came from the reading itself. */
export interface ReadingPoint {
  point: Point;
  /** false: `point.time` is `receivedAt` (the caller may make it unique per series). */
  timeFromPayload: boolean;
}

/** Timestamp fields, in the order Kotori looks for them: vanilla, vanilla, Tasmota, WeeWX, contrib. */
const TIME_FIELDS = ['time', 'datetime', 'Time', 'dateTime', 'timestamp'] as const;

/**
 * The tags of every point of a reading without tags (most are): one shared, frozen object rather than
 * an empty one per reading for each reading in flight to keep alive.
 */
const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});
/** Deeper nesting than this is not a sensor reading; it also keeps flattening off the stack limit. */
const MAX_DEPTH = 32;
/** Characters a field or tag key or a tag value may not hold: line protocol cannot carry them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Turn one reading (a JSON object of a data or event message) into a point, by Kotori's rules.
 * Pure; throws `DecodeError` only.
 *
 * - Time: the first of `time`, `datetime`, `Time`, `dateTime`, `timestamp` with a value is taken
 *   out of the reading and parsed by `parseTimestamp`. Candidates without a value (null, `""`, and
 *   Kotori's other falsy values `0`, `false`) are skipped and dropped: an empty stamp is no reading,
 *   and InfluxDB refuses a field named `time`. No timestamp → `receivedAt`, `timeFromPayload` false.
 * - Nested objects are flattened with `.` (`{"DHT22": {"Temperature": 21}}` → `DHT22.Temperature`);
 *   arrays are flattened by index (`{"a": [1, 2]}` → `a.0`, `a.1`).
 * - Keys listed in `tagFields` (after flattening) become tags: the value as text; null or `""` is
 *   left out (InfluxDB has no empty tag values).
 * - Data fields: numbers, numeric strings (`"21.5"`, `" 42 "`, `"1e3"`; not `"0x10"` or `""`) and
 *   booleans (1 / 0) become numbers, as Kotori writes every number as a float: InfluxDB rejects a
 *   field whose type changes, and JSON cannot tell 42 from 42.0. Other strings stay strings.
 * - Event fields: strings stay strings (title, text, tags); numbers and booleans as above.
 * - NaN, ±Infinity (also written as `"nan"`, `"inf"`), null and undefined are dropped.
 * - Empty keys, keys or tag values with control characters, and a key given twice (`{"a.b": 1,
 *   "a": {"b": 2}}`) are errors; so is a reading with no field left ("no values to store").
 */
export function readingToPoint(reading: Record<string, unknown>, options: ReadingOptions): ReadingPoint {
  if (isFlat(reading)) return flatReadingToPoint(reading, options);
  const { time, rest } = takeTime(reading, options);

  const flat = new Map<string, unknown>();
  flatten(rest, '', 0, flat);

  // Entries, then Object.fromEntries: it defines own properties, so a key like `__proto__` stays a key.
  const tags: [string, string][] = [];
  const fields: [string, FieldValue][] = [];
  for (const [key, raw] of flat) {
    if (options.tagFields.includes(key)) {
      const tag = tagValue(key, raw);
      if (tag !== undefined) tags.push([key, tag]);
      continue;
    }
    const value = fieldValue(raw, options.kind);
    if (value !== undefined) fields.push([key, value]);
  }

  if (fields.length === 0) {
    throw new DecodeError('reading has no values to store');
  }
  return {
    point: {
      measurement: options.measurement,
      tags: Object.fromEntries(tags),
      fields: Object.fromEntries(fields),
      time: time ?? options.receivedAt,
    },
    timeFromPayload: time !== undefined,
  };
}

/** True when no value of the reading is an object or array to flatten (the usual sensor reading). */
function isFlat(reading: Record<string, unknown>): boolean {
  for (const key in reading) {
    const value = reading[key];
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) return false;
  }
  return true;
}

/**
 * `readingToPoint` for a reading without nesting: the same rules and the same errors in the same
 * order, without the copies the general path makes (a copy of the reading, a map of flattened keys,
 * entry arrays). Every reading goes through here, so its garbage is what the GC sees most.
 */
function flatReadingToPoint(reading: Record<string, unknown>, options: ReadingOptions): ReadingPoint {
  // The time: the first timestamp field with a value; those before it without a value are dropped.
  let time: bigint | undefined;
  let timeFields = 0;
  for (let i = 0; i < TIME_FIELDS.length; i++) {
    const name = TIME_FIELDS[i]!;
    if (!Object.hasOwn(reading, name)) continue;
    timeFields = i + 1;
    const value = reading[name];
    if (isEmptyTime(value)) continue;
    time = parseTimestamp(value, options.timezone);
    break;
  }
  const keys = Object.keys(reading);
  // Names are checked for every key before any value, as flattening does in the general path.
  for (const key of keys) {
    if (timeFields > 0 && isTakenTimeField(key, timeFields)) continue;
    if (key === '') throw new DecodeError('reading has an empty field name');
    if (CONTROL.test(key)) {
      throw new DecodeError(`field name ${JSON.stringify(key)} contains control characters or line breaks`);
    }
    refuseTrailingBackslash('field name', key);
  }
  let tags: Record<string, string> | undefined;
  const fields: Record<string, FieldValue> = {};
  let fieldCount = 0;
  for (const key of keys) {
    if (timeFields > 0 && isTakenTimeField(key, timeFields)) continue;
    const raw = reading[key];
    if (options.tagFields.includes(key)) {
      const tag = tagValue(key, raw);
      if (tag !== undefined) {
        tags ??= {};
        setOwn(tags, key, tag);
      }
      continue;
    }
    const value = fieldValue(raw, options.kind);
    if (value !== undefined) {
      setOwn(fields, key, value);
      fieldCount++;
    }
  }
  if (fieldCount === 0) {
    throw new DecodeError('reading has no values to store');
  }
  return {
    point: {
      measurement: options.measurement,
      tags: tags ?? NO_TAGS,
      fields,
      time: time ?? options.receivedAt,
    },
    timeFromPayload: time !== undefined,
  };
}

/** `key` is one of the first `count` timestamp field names (those `takeTime` takes out). */
function isTakenTimeField(key: string, count: number): boolean {
  for (let i = 0; i < count; i++) if (TIME_FIELDS[i] === key) return true;
  return false;
}

/** Sets an own property; `__proto__` too stays a key (assignment would set the prototype). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** The reading's time (ns) if it has one, and the reading without its timestamp fields. */
function takeTime(
  reading: Record<string, unknown>,
  options: ReadingOptions,
): { time: bigint | undefined; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...reading };
  for (const name of TIME_FIELDS) {
    if (!Object.hasOwn(rest, name)) continue;
    const value = rest[name];
    delete rest[name];
    if (isEmptyTime(value)) continue;
    return { time: parseTimestamp(value, options.timezone), rest };
  }
  return { time: undefined, rest };
}

function isEmptyTime(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === 0 ||
    value === false ||
    (typeof value === 'string' && value.trim() === '')
  );
}

function flatten(
  value: Record<string, unknown> | unknown[],
  prefix: string,
  depth: number,
  out: Map<string, unknown>,
) {
  if (depth > MAX_DEPTH) {
    throw new DecodeError(`reading is nested deeper than ${MAX_DEPTH} levels at '${prefix}'`);
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  for (const [name, item] of entries) {
    if (name === '')
      throw new DecodeError(`reading has an empty field name${prefix ? ` in '${prefix}'` : ''}`);
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (CONTROL.test(key)) {
      throw new DecodeError(`field name ${JSON.stringify(key)} contains control characters or line breaks`);
    }
    refuseTrailingBackslash('field name', key);
    if (typeof item === 'object' && item !== null && !(item instanceof Date)) {
      flatten(item as Record<string, unknown> | unknown[], key, depth + 1, out);
      continue;
    }
    if (out.has(key)) throw new DecodeError(`reading has field '${key}' more than once`);
    out.set(key, item);
  }
}

function tagValue(key: string, raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = raw instanceof Date ? raw.toISOString() : String(raw);
  if (text === '') return undefined;
  if (CONTROL.test(text)) {
    throw new DecodeError(
      `tag '${key}' value ${JSON.stringify(text)} contains control characters or line breaks`,
    );
  }
  refuseTrailingBackslash(`tag '${key}' value`, text);
  return text;
}

function fieldValue(raw: unknown, kind: 'data' | 'event'): FieldValue | undefined {
  switch (typeof raw) {
    case 'number':
      return Number.isFinite(raw) ? raw : undefined;
    case 'bigint': {
      const n = Number(raw);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return raw ? 1 : 0;
    case 'string': {
      if (kind === 'event') return raw;
      const n = parseNumericText(raw);
      if (n === undefined) return raw;
      // "nan" / "inf" read as numbers like Kotori, then dropped like any NaN.
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return raw.toISOString();
      return undefined;
  }
}
