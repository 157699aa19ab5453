import { StorageError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import { LinePoint } from '../sanitize/line-point.js';

/** Time unit of the timestamps in a line-protocol body, as InfluxDB's `precision=` parameter names it. */
export type Precision = 'n' | 'u' | 'ms' | 's';

/** A line-protocol request body and the precision its timestamps are written in. */
export interface LineProtocol {
  /** Lines joined by `\n`; empty when no point had a field to write. */
  body: string;
  precision: Precision;
}

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_US = 1_000n;

// Characters that need work in each kind of token: tested first so that the common case (a plain
// name) is returned unchanged without walking it character by character.
const MEASUREMENT_SPECIAL = /[\\, \n\r]/;
const KEY_SPECIAL = /[\\,= \n\r]/;
const STRING_SPECIAL = /["\\]/;
/** `,` `=` `"` space: a backslash in front of one of these is read as an escape by InfluxDB 1.x. */
const BACKSLASH_UNSAFE = new Set([0x2c, 0x3d, 0x22, 0x20]);

/** Which InfluxDB 1.x scanner reads a token; they treat a backslash differently (models/points.go). */
type Token = typeof MEASUREMENT | typeof TAG | typeof FIELD_KEY;
const MEASUREMENT = 0;
const TAG = 1;
const FIELD_KEY = 2;

/**
 * Escapes a measurement, tag key, tag value or field key for InfluxDB 1.x line protocol.
 * - `,` and space (and `=` outside measurements) get a backslash.
 * - Newline and carriage return cannot be escaped in 1.x: they become the two characters `\n` / `\r`
 *   (Telegraf does the same), so the point is kept and the name stays readable.
 * - Backslashes that 1.x cannot store are dropped: at the end of any name (it would escape the delimiter
 *   after it), and in measurements and field keys also in front of `,` `=` `"` or space (1.6 then stores
 *   a measurement whose series and fields no longer match). Inside tags such a backslash is exact.
 */
function escapeToken(s: string, token: Token): string {
  if (!(token === MEASUREMENT ? MEASUREMENT_SPECIAL : KEY_SPECIAL).test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    switch (ch) {
      case ',':
      case ' ':
        out += '\\' + ch;
        break;
      case '=':
        out += token === MEASUREMENT ? ch : '\\=';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\\': {
        let j = i + 1;
        while (s.charCodeAt(j) === 0x5c) j++;
        if (j < s.length && (token === TAG || !BACKSLASH_UNSAFE.has(s.charCodeAt(j)))) out += s.slice(i, j);
        i = j - 1;
        break;
      }
      default:
        out += ch;
    }
  }
  return out;
}

/** A string field value: double-quoted, with `"` and `\` escaped (newlines are allowed inside quotes). */
function quoteString(s: string): string {
  if (!STRING_SPECIAL.test(s)) return '"' + s + '"';
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      out += s.slice(from, i) + '\\';
      from = i;
    }
  }
  return out + s.slice(from) + '"';
}

/** The coarsest precision that keeps every timestamp exact (fewer digits on the wire). */
function coarsestPrecision(points: readonly Point[]): Precision {
  let precision: Precision = 's';
  for (const point of points) {
    const t = point.time;
    if (precision === 's') {
      if (t % NS_PER_S === 0n) continue;
      precision = 'ms';
    }
    if (precision === 'ms') {
      if (t % NS_PER_MS === 0n) continue;
      precision = 'u';
    }
    if (t % NS_PER_US !== 0n) return 'n';
  }
  return precision;
}

function divisorOf(precision: Precision): bigint {
  switch (precision) {
    case 's':
      return NS_PER_S;
    case 'ms':
      return NS_PER_MS;
    case 'u':
      return NS_PER_US;
    case 'n':
      return 1n;
  }
}

/** Where the lines of a body go, in order. */
interface LineOutput {
  add(line: string): void;
}

/** Lines joined by `\n` into one string. */
class TextOutput implements LineOutput {
  text = '';

  add(line: string): void {
    this.text += this.text === '' ? line : '\n' + line;
  }
}

/** Characters of the body encoded at a time (below V8's large-object size, see `PIECE_BYTES`). */
const PIECE_CHARS = 16 * 1024;

/** Lines joined by `\n` and encoded as UTF-8 piece by piece, never as one huge string. */
class BytesOutput implements LineOutput {
  private readonly pieces: Buffer[] = [];
  private piece = '';
  private empty = true;

  add(line: string): void {
    const separator = this.empty ? '' : '\n';
    this.empty = false;
    if (line.length >= PIECE_CHARS) {
      // A long part (lines as written, see `writeAsWritten`) is encoded as it is, not copied first.
      if (this.piece !== '' || separator !== '') this.pieces.push(Buffer.from(this.piece + separator));
      this.piece = '';
      this.pieces.push(Buffer.from(line));
      return;
    }
    this.piece += separator + line;
    if (this.piece.length >= PIECE_CHARS) {
      this.pieces.push(Buffer.from(this.piece));
      this.piece = '';
    }
  }

  bytes(): Buffer {
    if (this.piece !== '') this.pieces.push(Buffer.from(this.piece));
    return this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
  }
}

/**
 * Points as an InfluxDB (1.x compatible) line-protocol body. Pure.
 * - Tags are written sorted by key (InfluxDB's advice for write speed); empty tag keys or values are
 *   left out (InfluxDB treats an empty tag as no tag).
 * - Numbers are written as floats (`42`, `1e+21`); only a `bigint` is an integer (`42i`). NaN and
 *   ±Infinity cannot be stored and are left out, as are empty field keys. Booleans are `true`/`false`.
 * - A point left without fields is skipped.
 * - See `escapeToken` for names InfluxDB 1.x cannot carry exactly (newlines, trailing backslashes).
 * - A point that came as line protocol (`LinePoint`) is written as its line was written (InfluxDB
 *   reads it as it would have read it from the writer); when every point of a batch came so in the
 *   same precision, in that precision, the lines as they are.
 * Throws `StorageError` (not retryable) for a point whose measurement cannot be written at all
 * (empty, or starting with `#`, which InfluxDB would read as a comment line and drop silently).
 */
export function pointsToLineProtocol(points: readonly Point[]): LineProtocol {
  const out = new TextOutput();
  const precision = writeLines(points, out);
  return { body: out.text, precision };
}

/** `pointsToLineProtocol`'s body as UTF-8 bytes, the request body of a write (empty: nothing to write). */
export function pointsToLineProtocolBytes(points: readonly Point[]): { body: Buffer; precision: Precision } {
  const out = new BytesOutput();
  const precision = writeLines(points, out);
  return { body: out.bytes(), precision };
}

function writeLines(points: readonly Point[], out: LineOutput): Precision {
  const written = writtenPrecision(points);
  if (written !== undefined) {
    writeAsWritten(points as readonly LinePoint[], unitOf(written), out);
    return written;
  }
  const precision = coarsestPrecision(points);
  const divisor = divisorOf(precision);
  // Names repeat across a batch: each distinct one is escaped once. Points of one reading often share
  // their tags object, so the escaped `measurement,tags` prefix is reused while it stays the same.
  const fieldKeys = new Map<string, string>();
  const tagTokens = new Map<string, string>();
  let lastMeasurement: string | undefined;
  let escapedMeasurement = '';
  let lastTags: object | undefined;
  let seriesKey = '';
  for (const point of points) {
    const time = divisor === 1n ? point.time : point.time / divisor;
    if (point instanceof LinePoint) {
      // Valid line protocol already: its series key and fields as written, the time in this body's unit.
      out.add(point.head + ' ' + time.toString());
      continue;
    }
    let fields = '';
    const values = point.fields;
    for (const key in values) {
      const value = values[key];
      let text: string;
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) continue;
        text = String(value);
      } else if (typeof value === 'string') {
        text = quoteString(value);
      } else if (typeof value === 'bigint') {
        text = value.toString() + 'i';
      } else if (typeof value === 'boolean') {
        text = value ? 'true' : 'false';
      } else {
        continue;
      }
      const escapedKey = memo(fieldKeys, key, FIELD_KEY);
      if (escapedKey === '') continue;
      fields += (fields === '' ? '' : ',') + escapedKey + '=' + text;
    }
    if (fields === '') continue;

    if (point.measurement !== lastMeasurement) {
      lastMeasurement = point.measurement;
      lastTags = undefined;
      escapedMeasurement = escapeToken(point.measurement, MEASUREMENT);
      if (escapedMeasurement === '' || escapedMeasurement.charCodeAt(0) === 0x23) {
        throw new StorageError(`measurement '${point.measurement}' cannot be written to InfluxDB`, false);
      }
    }
    if (point.tags !== lastTags) {
      lastTags = point.tags;
      seriesKey = escapedMeasurement;
      const tagKeys = Object.keys(point.tags);
      if (tagKeys.length > 1) tagKeys.sort();
      for (const key of tagKeys) {
        const value = point.tags[key];
        if (!value) continue;
        const escapedKey = memo(tagTokens, key, TAG);
        const escapedValue = memo(tagTokens, value, TAG);
        if (escapedKey === '' || escapedValue === '') continue;
        seriesKey += ',' + escapedKey + '=' + escapedValue;
      }
    }
    out.add(seriesKey + ' ' + fields + ' ' + time.toString());
  }
  return precision;
}

/** The InfluxDB `precision` of a timestamp unit in nanoseconds (those InfluxDB 1.x and 2.x both take). */
const PRECISION_OF_UNIT: ReadonlyMap<bigint, Precision> = new Map([
  [1n, 'n'],
  [NS_PER_US, 'u'],
  [NS_PER_MS, 'ms'],
  [NS_PER_S, 's'],
]);

function unitOf(precision: Precision): bigint {
  return divisorOf(precision);
}

/**
 * The precision in which every point of the batch can be written as its line was written: all came
 * as line protocol (`LinePoint`) in one precision InfluxDB takes, and each has its timestamp or one
 * of arrival in that precision. Undefined for any other batch, which is written from its points.
 */
function writtenPrecision(points: readonly Point[]): Precision | undefined {
  const first = points[0];
  if (!(first instanceof LinePoint)) return undefined;
  const unit = first.origin.unitNs;
  const precision = PRECISION_OF_UNIT.get(unit);
  if (precision === undefined) return undefined;
  for (const point of points) {
    if (!(point instanceof LinePoint) || point.lineIn(unit) === undefined) return undefined;
  }
  return precision;
}

/**
 * Lines as they were written, in their precision (`unitNs`). Lines that follow each other in the piece
 * of the body they were read from, one newline apart, go out as one part of it.
 */
function writeAsWritten(points: readonly LinePoint[], unitNs: bigint, out: LineOutput): void {
  let piece: string | undefined;
  let start = 0;
  let end = 0;
  for (const point of points) {
    if (point.stamped) {
      if (point.piece === piece && point.start === end + 1 && piece.charCodeAt(end) === 0x0a) {
        end = point.end;
        continue;
      }
      if (piece !== undefined) out.add(piece.slice(start, end));
      ({ piece, start, end } = point);
      continue;
    }
    if (piece !== undefined) out.add(piece.slice(start, end));
    piece = undefined;
    out.add(point.lineIn(unitNs)!);
  }
  if (piece !== undefined) out.add(piece.slice(start, end));
}

function memo(cache: Map<string, string>, name: string, token: Token): string {
  let escaped = cache.get(name);
  if (escaped === undefined) {
    escaped = escapeToken(name, token);
    cache.set(name, escaped);
  }
  return escaped;
}
