import { StorageError } from '../../core/errors.js';
import { EARLIEST_TIME, LATEST_TIME } from '../sanitize/storage-address.js';
import type { Aggregation } from './aggregation.js';

/**
 * InfluxQL in and out: quoting, the statements the InfluxDB sink sends, and reading the JSON answers
 * of /query (with their RFC 3339 times). Every identifier and literal goes through `quoteIdentifier` /
 * `quoteLiteral`, so a measurement, field, tag or database name cannot inject InfluxQL.
 */

const IDENTIFIER_SPECIAL = /[\\"\n]/g;
const LITERAL_SPECIAL = /[\\'\n]/g;

// influxql ScanString knows exactly these escapes: \\ \" \' \n (a raw newline ends a string with an error).
function escapeChar(ch: string): string {
  return ch === '\n' ? '\\n' : '\\' + ch;
}

/** A double-quoted InfluxQL identifier: `x" ; DROP DATABASE "y` → `"x\" ; DROP DATABASE \"y"`. */
export function quoteIdentifier(name: string): string {
  return '"' + name.replace(IDENTIFIER_SPECIAL, escapeChar) + '"';
}

/** A single-quoted InfluxQL string literal: `a'b` → `'a\'b'`. */
export function quoteLiteral(value: string): string {
  return "'" + value.replace(LITERAL_SPECIAL, escapeChar) + "'";
}

/** A column to select: a field or a tag (cast with `::field` / `::tag`, so equal names cannot mix up). */
export interface SelectColumn {
  name: string;
  kind: 'field' | 'tag';
}

/** What `selectStatement` reads. */
export interface SelectSpec {
  measurement: string;
  columns: readonly SelectColumn[];
  /** Inclusive bounds, nanoseconds; clamped to what InfluxDB can store. */
  from: bigint;
  to: bigint;
  /** Tag equality conditions. */
  where?: Readonly<Record<string, string>> | undefined;
  order: 'asc' | 'desc';
  /** A positive integer, or undefined for all rows. */
  limit?: number | undefined;
  /** Each column aggregated per time bucket (fields only); buckets without any value are left out. */
  aggregate?: Aggregation | undefined;
}

function clampTime(t: bigint): bigint {
  return t < EARLIEST_TIME ? EARLIEST_TIME : t > LATEST_TIME ? LATEST_TIME : t;
}

/** `SELECT "a"::field,"t"::tag FROM "m" WHERE time >= … AND time <= … [AND "k"::tag = 'v'] ORDER BY time …`. */
export function selectStatement(spec: SelectSpec): string {
  let q = 'SELECT ';
  for (let i = 0; i < spec.columns.length; i++) {
    const column = spec.columns[i]!;
    const name = quoteIdentifier(column.name);
    q += i === 0 ? '' : ',';
    q += spec.aggregate
      ? `${spec.aggregate.fn}(${name}::${column.kind}) AS ${name}`
      : `${name}::${column.kind}`;
  }
  // Integer literals in a time condition are nanoseconds since the epoch.
  q += ` FROM ${quoteIdentifier(spec.measurement)} WHERE time >= ${clampTime(spec.from)} AND time <= ${clampTime(spec.to)}`;
  if (spec.where) {
    for (const [tag, value] of Object.entries(spec.where)) {
      q += ` AND ${quoteIdentifier(tag)}::tag = ${quoteLiteral(value)}`;
    }
  }
  // fill(none): a bucket without any value is no row, as in the SQLite store's GROUP BY.
  if (spec.aggregate) q += ` GROUP BY time(${spec.aggregate.interval}ns) fill(none)`;
  q += spec.order === 'desc' ? ' ORDER BY time DESC' : ' ORDER BY time ASC';
  if (spec.limit !== undefined) q += ` LIMIT ${spec.limit}`;
  return q;
}

/**
 * The columns to select from a measurement's keys: with `include`, in its order (unknown names
 * skipped); otherwise fields first, then tags, as InfluxDB lists them. `exclude` is applied last.
 * A tag that shares a field's name is left out: one column per name.
 */
export function pickColumns(
  keys: { fields: readonly string[]; tags: readonly string[] },
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): SelectColumn[] {
  const kinds = new Map<string, SelectColumn['kind']>();
  for (const name of keys.fields) kinds.set(name, 'field');
  for (const name of keys.tags) if (!kinds.has(name)) kinds.set(name, 'tag');
  const excluded = new Set(exclude ?? []);
  const picked: SelectColumn[] = [];
  const seen = new Set<string>();
  for (const name of include ?? kinds.keys()) {
    const kind = kinds.get(name);
    if (kind === undefined || excluded.has(name) || seen.has(name)) continue;
    seen.add(name);
    picked.push({ name, kind });
  }
  return picked;
}

/** Both key lists of one measurement in one request: statement 0 fields, statement 1 tags. */
export function schemaStatement(measurement: string): string {
  const from = quoteIdentifier(measurement);
  return `SHOW FIELD KEYS FROM ${from}; SHOW TAG KEYS FROM ${from}`;
}

/** `CREATE DATABASE "name"` (a no-op when it exists). */
export function createDatabaseStatement(database: string): string {
  return `CREATE DATABASE ${quoteIdentifier(database)}`;
}

/** One series of a statement result. */
export interface InfluxSeries {
  columns?: string[];
  values?: unknown[][];
}
/** The result of one statement of a /query request. */
export interface InfluxStatementResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}
/** One JSON document of a /query answer (with `chunked=true`, one per line). */
export interface InfluxChunk {
  results?: InfluxStatementResult[];
  error?: string;
}

/** Every row of every series of a statement result, as InfluxDB sent it. */
export function* statementRows(result: InfluxStatementResult): Generator<unknown[]> {
  for (const series of result.series ?? []) for (const row of series.values ?? []) yield row;
}

/** A JSON answer, or undefined when the text is no JSON (e.g. a proxy's error page). */
export function parseAnswer(text: string): InfluxChunk | undefined {
  try {
    return JSON.parse(text) as InfluxChunk;
  } catch {
    return undefined;
  }
}

/**
 * The documents of a /query answer read piece by piece: each complete line is parsed as soon as it is
 * there, so memory holds one chunk, never the whole answer. Throws `StorageError` on a line that is
 * no JSON.
 */
export async function* answerChunks(
  pieces: AsyncIterable<string>,
  what: string,
): AsyncGenerator<InfluxChunk> {
  const pending: string[] = [];
  const parse = (line: string): InfluxChunk => {
    const chunk = parseAnswer(line);
    if (!chunk) throw new StorageError(`influxdb: ${what}: unreadable answer: ${line.slice(0, 200)}`, false);
    return chunk;
  };
  for await (const piece of pieces) {
    let from = 0;
    let newline = piece.indexOf('\n');
    while (newline !== -1) {
      pending.push(piece.slice(from, newline));
      const line = pending.length === 1 ? pending[0]! : pending.join('');
      pending.length = 0;
      if (line !== '') yield parse(line);
      from = newline + 1;
      newline = piece.indexOf('\n', from);
    }
    if (from < piece.length) pending.push(from === 0 ? piece : piece.slice(from));
  }
  const last = pending.join('');
  if (last.trim() !== '') yield parse(last);
}

const NS_PER_S = 1_000_000_000n;
const DIGIT_0 = 48;

// Rows of one series usually share the minute: the nanoseconds at the start of the last minute seen
// are kept, so most rows cost one small BigInt and one addition.
let cachedMinute = '';
let cachedMinuteNs = 0n;

function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function badTime(text: string): StorageError {
  return new StorageError(`unexpected time '${text}' in an InfluxDB answer`, false);
}

/**
 * An RFC 3339 time as InfluxDB writes it (`2020-03-10T03:29:42.123456789Z`, up to 9 fraction digits,
 * `Z` or `±hh:mm`) → exact integer nanoseconds. JSON numbers cannot carry 19-digit nanoseconds, which
 * is why queries ask for these strings instead of `epoch=ns`.
 */
export function rfc3339ToNs(text: string): bigint {
  // YYYY-MM-DDTHH:MM:SS at fixed offsets, then an optional fraction, then the zone.
  if (text.length < 20 || text.charCodeAt(16) !== 0x3a) throw badTime(text);
  let i = 19;
  let fraction = 0;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    const start = i;
    while (i < text.length) {
      const d = text.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) break;
      if (i - start < 9) fraction = fraction * 10 + d;
      i++;
    }
    const count = i - start;
    if (count === 0) throw badTime(text);
    for (let k = count; k < 9; k++) fraction *= 10;
  }
  const seconds = digits(text, 17, 2);
  if (!(seconds <= 60)) throw badTime(text);
  const withinMinute = seconds * 1e9 + fraction;

  if (i === text.length - 1 && text.charCodeAt(i) === 0x5a) {
    if (text.startsWith(cachedMinute) && cachedMinute !== '') return cachedMinuteNs + BigInt(withinMinute);
    const minuteNs = minuteStartNs(text, 0);
    cachedMinute = text.slice(0, 16);
    cachedMinuteNs = minuteNs;
    return minuteNs + BigInt(withinMinute);
  }
  // A numeric zone offset: local time minus the offset is UTC.
  const sign = text.charCodeAt(i);
  if (i + 6 !== text.length || (sign !== 0x2b && sign !== 0x2d) || text.charCodeAt(i + 3) !== 0x3a) {
    throw badTime(text);
  }
  const offsetMinutes = digits(text, i + 1, 2) * 60 + digits(text, i + 4, 2);
  if (Number.isNaN(offsetMinutes)) throw badTime(text);
  const offsetNs = BigInt(offsetMinutes * 60) * NS_PER_S;
  const local = minuteStartNs(text, 0) + BigInt(withinMinute);
  return sign === 0x2b ? local - offsetNs : local + offsetNs;
}

function minuteStartNs(text: string, at: number): bigint {
  const year = digits(text, at, 4);
  const month = digits(text, at + 5, 2);
  const day = digits(text, at + 8, 2);
  const hour = digits(text, at + 11, 2);
  const minute = digits(text, at + 14, 2);
  if (
    text.charCodeAt(at + 4) !== 0x2d ||
    text.charCodeAt(at + 7) !== 0x2d ||
    text.charCodeAt(at + 10) !== 0x54 ||
    text.charCodeAt(at + 13) !== 0x3a ||
    Number.isNaN(year) ||
    !(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59)
  ) {
    throw badTime(text);
  }
  const seconds = (daysFromCivil(year, month, day) * 24 + hour) * 3600 + minute * 60;
  return BigInt(seconds) * NS_PER_S;
}
