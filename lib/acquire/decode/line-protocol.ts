import { lineEnd, needsCarefulSplit } from './line-protocol-scan.js';

/**
 * InfluxDB line protocol, read exactly as InfluxDB 1.x reads it (`models/points.go`) — the format
 * Telegraf's `influxdb` and `influxdb_v2` outputs and every InfluxDB client write:
 *
 *     measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Escaping (a backslash makes the next character part of the token when the token is scanned; it is
 * removed when the token is read only before these characters, else kept as it is):
 * - measurement: `\,` and `\ ` (an `=` needs no escape);
 * - tag keys, tag values: `\,`, `\ `, `\=`;
 * - field keys: `\,`, `\ `, `\=`, `\"`;
 * - string field values (double-quoted, may span lines): `\"` and `\\`; any other backslash is kept.
 *
 * Field values: floats (`1`, `-1.5`, `1e3`), integers (`1i`, int64), unsigned integers (`1u`, uint64),
 * booleans (`t`, `T`, `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`), strings (`"…"`).
 * Blank lines and lines starting with `#` are skipped. Pure; reports bad lines, never throws for them.
 */

/** A field value as written: `float` a JS number, `integer`/`unsigned` exact as BigInt. */
export type LineFieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'unsigned'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

/** One line read. `time` is in nanoseconds already; undefined when the line carries none. */
export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, LineFieldValue>;
  time: bigint | undefined;
}

/** A line that cannot be read, as InfluxDB 1.x words it: `unable to parse '<line>': <reason>`. */
export interface LineProblem {
  /** 1-based line number. */
  line: number;
  /** `unable to parse '…': …`. */
  message: string;
}

/** Every line of a body: those read, and those that could not be. */
export interface ParsedBody {
  lines: ParsedLine[];
  problems: LineProblem[];
}

/** Nanoseconds per unit of a timestamp, by InfluxDB's `precision` names (1.x and 2.x together). */
const PRECISION_NS: ReadonlyMap<string, bigint> = new Map([
  ['', 1n],
  ['n', 1n],
  ['ns', 1n],
  ['u', 1_000n],
  ['us', 1_000n],
  ['µ', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Nanoseconds per unit of `precision`, or undefined for a precision InfluxDB does not know. */
export function precisionToNs(precision: string): bigint | undefined {
  return PRECISION_NS.get(precision);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+i$/;
const UNSIGNED = /^\d+u$/;
const TIMESTAMP = /^-?\d+$/;
const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);

const MEASUREMENT_ESCAPES = ', ';
const TAG_ESCAPES = ', =';
const FIELD_KEY_ESCAPES = ', ="';

class LineError extends Error {}

/**
 * Reads a line-protocol body. `precisionNs`: nanoseconds per timestamp unit (see `precisionToNs`).
 * Lines are split at newlines outside string field values.
 */
export function parseLineProtocol(text: string, precisionNs: bigint): ParsedBody {
  const lines: ParsedLine[] = [];
  const problems: LineProblem[] = [];
  let lineNo = 0;
  const memo: { last?: SeriesMemo } = {};
  for (const raw of splitLines(text)) {
    lineNo++;
    const line = raw.replace(/^[ \t]+/, '').replace(/[ \t\r]+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    try {
      lines.push(parseLine(line, precisionNs, memo));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      problems.push({ line: lineNo, message: `unable to parse '${raw}': ${err.message}` });
    }
  }
  return { lines, problems };
}

/** The lines of a body: `\n` ends a line except inside a quoted string field value (see `lineEnd`). */
function splitLines(text: string): string[] {
  const careful = needsCarefulSplit(text);
  const out: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = lineEnd(text, start, careful);
    out.push(text.slice(start, end));
    start = end + 1;
  }
  return out;
}

const BACKSLASH = 0x5c;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;

/**
 * Where a token from `at` ends: at a space or comma (and `=` when `stopAtEquals`) outside an escape,
 * or at the end of the line.
 */
function scan(line: string, at: number, stopAtEquals: boolean): number {
  let i = at;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === SPACE || c === COMMA || (stopAtEquals && c === EQUALS)) return i;
    i++;
  }
  return n;
}

/** Removes the backslash before each of `escapes` (InfluxDB keeps every other backslash). */
function unescapeToken(raw: string, escapes: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    const next = raw[i + 1];
    if (c === '\\' && next !== undefined && escapes.includes(next)) {
      out += next;
      i++;
    } else out += c;
  }
  return out;
}

/** The measurement and tags of the line before, reused while lines share their series key. */
interface SeriesMemo {
  raw: string;
  measurement: string;
  tags: Record<string, string>;
}

/**
 * Reads one line (without its leading and trailing blanks; not blank, not a comment): the line read,
 * or the reason it cannot be, as InfluxDB words it (`missing fields`, …).
 */
export function parseLineOrReason(line: string, precisionNs: bigint): ParsedLine | string {
  try {
    return parseLine(line, precisionNs, {});
  } catch (err) {
    if (err instanceof LineError) return err.message;
    throw err;
  }
}

function parseLine(line: string, precisionNs: bigint, memo: { last?: SeriesMemo }): ParsedLine {
  // Series key: measurement, then `,tag=value` pairs, up to the first unescaped space.
  let at: number;
  let measurement: string;
  let tags: Record<string, string>;
  const last = memo.last;
  if (last !== undefined && line.startsWith(last.raw) && line.charCodeAt(last.raw.length) === SPACE) {
    ({ measurement, tags } = last);
    at = last.raw.length;
  } else {
    const m = scan(line, 0, false);
    measurement = unescapeToken(line.slice(0, m), MEASUREMENT_ESCAPES);
    if (measurement === '') throw new LineError('missing measurement');
    at = m;
    const tagList: [string, string][] = [];
    while (line.charCodeAt(at) === COMMA) {
      const keyEnd = scan(line, at + 1, true);
      if (line.charCodeAt(keyEnd) !== EQUALS) throw new LineError('missing tag value');
      const valueEnd = scan(line, keyEnd + 1, true);
      if (line.charCodeAt(valueEnd) === EQUALS) throw new LineError('invalid tag format');
      const k = unescapeToken(line.slice(at + 1, keyEnd), TAG_ESCAPES);
      const v = unescapeToken(line.slice(keyEnd + 1, valueEnd), TAG_ESCAPES);
      if (k === '') throw new LineError('missing tag key');
      if (v === '') throw new LineError('missing tag value');
      if (tagList.some(([known]) => known === k)) throw new LineError('duplicate tags');
      tagList.push([k, v]);
      at = valueEnd;
    }
    // fromEntries defines own properties: a name like `__proto__` stays a name.
    tags = Object.fromEntries(tagList);
    memo.last = { raw: line.slice(0, at), measurement, tags };
  }
  if (line.charCodeAt(at) !== SPACE) throw new LineError('missing fields');
  while (line.charCodeAt(at) === SPACE) at++;

  const fieldList: [string, LineFieldValue][] = [];
  for (;;) {
    const keyEnd = scan(line, at, true);
    if (line.charCodeAt(keyEnd) !== EQUALS) throw new LineError('missing field value');
    const k = unescapeToken(line.slice(at, keyEnd), FIELD_KEY_ESCAPES);
    if (k === '') throw new LineError('missing field key');
    at = keyEnd + 1;
    let value: LineFieldValue;
    if (line.charCodeAt(at) === QUOTE) {
      const { text, end } = quotedString(line, at);
      value = { type: 'string', value: text };
      at = end;
    } else {
      const end = scan(line, at, false);
      value = scalar(line.slice(at, end), k);
      at = end;
    }
    fieldList.push([k, value]);
    if (line.charCodeAt(at) === COMMA) {
      at++;
      continue;
    }
    break;
  }

  let time: bigint | undefined;
  if (at < line.length) {
    if (line.charCodeAt(at) !== SPACE) throw new LineError('invalid field format');
    while (line.charCodeAt(at) === SPACE) at++;
    const stamp = line.slice(at);
    if (!TIMESTAMP.test(stamp)) throw new LineError('bad timestamp');
    time = BigInt(stamp) * precisionNs;
    if (time < INT64_MIN + 2n || time > INT64_MAX - 1n) throw new LineError('time outside range');
  }
  return { measurement, tags, fields: Object.fromEntries(fieldList), time };
}

/** A double-quoted string from `at` (its opening quote): its text and the index after the closing quote. */
function quotedString(line: string, at: number): { text: string; end: number } {
  let out = '';
  let from = at + 1;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = line.charCodeAt(i + 1);
      if (next === QUOTE || next === BACKSLASH) {
        out += line.slice(from, i);
        from = i + 1;
        i++;
      }
      continue;
    }
    if (c === QUOTE) return { text: out + line.slice(from, i), end: i + 1 };
  }
  throw new LineError('unbalanced quotes');
}

function scalar(raw: string, key: string): LineFieldValue {
  if (raw === '') throw new LineError(`missing field value for '${key}'`);
  const last = raw.charCodeAt(raw.length - 1);
  // A float ends in a digit or a dot; tried first, as most values are floats.
  if (((last >= 0x30 && last <= 0x39) || last === 0x2e) && FLOAT.test(raw)) {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new LineError(`float '${raw}' out of range`);
    return { type: 'float', value };
  }
  if (last === 0x69 && INTEGER.test(raw)) {
    const value = BigInt(raw.slice(0, -1));
    if (value < INT64_MIN || value > INT64_MAX) throw new LineError(`integer '${raw}' out of range`);
    return { type: 'integer', value };
  }
  if (last === 0x75 && UNSIGNED.test(raw)) {
    const value = BigInt(raw.slice(0, -1));
    if (value > UINT64_MAX) throw new LineError(`unsigned '${raw}' out of range`);
    return { type: 'unsigned', value };
  }
  if (FLOAT.test(raw)) {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new LineError(`float '${raw}' out of range`);
    return { type: 'float', value };
  }
  if (TRUE.has(raw)) return { type: 'boolean', value: true };
  if (FALSE.has(raw)) return { type: 'boolean', value: false };
  throw new LineError(`invalid field value '${raw}' of '${key}'`);
}
