import { IANAZone } from 'luxon';
import { DecodeError } from '../../core/errors.js';
import { daysInMonth, utcMs, zonedWallToMs } from '../../core/wall-clock.js';
import { EARLIEST_TIME, LATEST_TIME } from './storage-address.js';

/** A decimal number as text; groups: sign, integer digits, their fraction, fraction-only digits, exponent. */
const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/**
 * ISO 8601 / RFC 3339 date or date-time. Groups: year, month, day, hour, minute, second, fraction,
 * `Z`, offset sign, offset hours, offset minutes, `UTC`/`GMT` word. `T` or a space between date and
 * time; seconds and fraction optional; offset `Z`, `±hh:mm`, `±hhmm`, `±hh`, or a `UTC`/`GMT` word.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?|(UTC|GMT))?)?$/;

/** Longest digit string and largest exponent an epoch number may have. */
const MAX_DIGITS = 60;

const NS_PER_MS = 1_000_000n;
const MS_PER_MINUTE = 60_000;

/**
 * Read a timestamp from a reading as integer nanoseconds since the epoch. Pure; throws
 * `DecodeError` naming the value when it is not a time.
 *
 * - Epoch numbers and numeric strings: the unit follows the magnitude, as in Kotori
 *   (|t| ≥ 1e17 ns, ≥ 1e14 µs, ≥ 1e11 ms, else seconds). The decimal digits are scaled exactly,
 *   so a fraction is kept (`1583810982.5` s → `1583810982500000000n`) and a numeric string is exact
 *   to the nanosecond (`"1583810982123456789"`). A `number` is taken as JavaScript prints it; the
 *   JSON decoders hand over long JSON numbers as `bigint` or numeric text (see `parseJsonExact`), so
 *   their digits are kept. Digits below a nanosecond are dropped.
 * - Strings in ISO 8601 / RFC 3339 form (see `ISO`), with up to 9 fractional digits kept exactly
 *   (more are dropped). A date alone is midnight.
 * - Strings without an offset are wall-clock time in `timezone` (an IANA zone name), DST-correct:
 *   a time that occurs twice (the hour the clocks go back) is the first occurrence, like Python's
 *   `fold=0` that Kotori uses; a time skipped when the clocks go forward is moved forward by the gap.
 *   (Kotori reads zone-less times as `CET`, i.e. Europe/Berlin, always.)
 * - `Date` objects are taken at millisecond precision; `bigint` as an epoch integer (magnitude rule).
 */
export function parseTimestamp(value: unknown, timezone: string): bigint {
  if (typeof value === 'bigint') {
    return inRange(value, fromDecimal(value < 0n ? '-' : '', abs(value).toString(), 0));
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notATime(value);
    return inRange(value, epochFromText(String(value), value)!);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw notATime(value);
    return inRange(value, BigInt(ms) * NS_PER_MS);
  }
  if (typeof value !== 'string') throw notATime(value);

  const text = value.trim();
  const epoch = epochFromText(text, value);
  if (epoch !== undefined) return inRange(value, epoch);
  const iso = ISO.exec(text);
  if (iso) return inRange(value, fromIso(iso, timezone, value));
  throw notATime(value);
}

/** An epoch number as decimal text → ns, or undefined when `text` is not a decimal number. */
function epochFromText(text: string, original: unknown): bigint | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const sign = m[1] ?? '';
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? m[4] ?? '';
  const exponent = Number(m[5] ?? '0');
  // Keep the BigInt powers small: a plausible epoch has ~20 digits and a small exponent.
  if (
    !Number.isSafeInteger(exponent) ||
    Math.abs(exponent) > MAX_DIGITS ||
    intDigits.length + fracDigits.length > MAX_DIGITS
  ) {
    throw new DecodeError(`timestamp '${show(original)}' is out of range`);
  }
  return fromDecimal(sign, intDigits + fracDigits, exponent - fracDigits.length);
}

/** `sign digits × 10^scale` in epoch units chosen by magnitude → integer ns (truncated). */
function fromDecimal(sign: string, digits: string, scale: number): bigint {
  const mantissa = BigInt(digits === '' ? '0' : digits);
  const whole = scale >= 0 ? mantissa * 10n ** BigInt(scale) : mantissa / 10n ** BigInt(-scale);
  // Kotori's precision heuristic, on the magnitude of the integer part.
  let unitExponent: number;
  if (whole >= 10n ** 17n) unitExponent = 0;
  else if (whole >= 10n ** 14n) unitExponent = 3;
  else if (whole >= 10n ** 11n) unitExponent = 6;
  else unitExponent = 9;
  const shift = scale + unitExponent;
  const ns = shift >= 0 ? mantissa * 10n ** BigInt(shift) : mantissa / 10n ** BigInt(-shift);
  return sign === '-' ? -ns : ns;
}

function fromIso(m: RegExpExecArray, timezone: string, original: string): bigint {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? '0');
  const minute = Number(m[5] ?? '0');
  const second = Number(m[6] ?? '0');
  const fraction = (m[7] ?? '').slice(0, 9).padEnd(9, '0');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new DecodeError(`timestamp '${original}' is not a valid date`);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new DecodeError(`timestamp '${original}' is not a valid time of day`);
  }
  const wallMs = utcMs(year, month, day, hour, minute, second);

  let offsetMinutes: number;
  if (m[8] !== undefined || m[12] !== undefined) {
    offsetMinutes = 0;
  } else if (m[9] !== undefined) {
    const hours = Number(m[10]);
    const minutes = Number(m[11] ?? '0');
    if (hours > 23 || minutes > 59) throw new DecodeError(`timestamp '${original}' has an invalid offset`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  } else {
    const zone = IANAZone.create(timezone);
    if (!zone.isValid) throw new DecodeError(`time zone '${timezone}' is not a known IANA zone`);
    return BigInt(zonedWallToMs(wallMs, zone)) * NS_PER_MS + BigInt(fraction);
  }
  return BigInt(wallMs - offsetMinutes * MS_PER_MINUTE) * NS_PER_MS + BigInt(fraction);
}

function inRange(original: unknown, ns: bigint): bigint {
  if (ns < EARLIEST_TIME || ns > LATEST_TIME)
    throw new DecodeError(`timestamp '${show(original)}' is out of range`);
  return ns;
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function notATime(value: unknown): DecodeError {
  return new DecodeError(`timestamp '${show(value)}' is not a time (expected epoch or ISO 8601)`);
}

/** A value in an error message, short enough for a log line and the error topic. */
function show(value: unknown): string {
  let text: string;
  if (value instanceof Date) text = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  else if (typeof value === 'object' && value !== null) {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  } else text = String(value);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
