import { IANAZone } from 'luxon';
import { QueryError } from './errors.js';
import { daysInMonth, utcMs, zonedWallToMs } from './wall-clock.js';

/** How to read a time expression: the current time, the zone of zone-less values, and which end of a range it is. */
export interface TimeExpressionOptions {
  /** The current time, integer nanoseconds since the epoch (relative forms count from here). */
  now: bigint;
  /** IANA zone name (`Europe/Berlin`, `UTC`) in which values without an offset are read. */
  timezone: string;
  /** A whole day given as `from` means its first instant, as `to` its last nanosecond. */
  role: 'from' | 'to';
}

const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;
const MS_PER_MINUTE = 60_000;

const UNIT_NS: Readonly<Record<string, bigint>> = {
  s: NS_PER_SECOND,
  m: 60n * NS_PER_SECOND,
  h: 3_600n * NS_PER_SECOND,
  d: 86_400n * NS_PER_SECOND,
  w: 604_800n * NS_PER_SECOND,
};

// One or more signed groups, each a run of amount+unit pairs: `now-1w2d3h`, `now-1d+2h`. A space stands
// for `+` because URL form decoding turns an unescaped `+` into a space.
const RELATIVE = /^now((?:[-+ ](?:\d{1,12}[smhdw])+)*)$/;
const RELATIVE_GROUP = /([-+ ])((?:\d{1,12}[smhdw])+)/g;
const RELATIVE_TERM = /(\d{1,12})([smhdw])/g;
const DIGITS = /^\d{1,19}$/;
const EPOCH_FRACTION = /^(\d{1,10})\.(\d{1,9})$/;
// Kotori's `YYYYMMDDTHHmmssZ` (arrow's `Z` token: `Z`, `±HH`, `±HHMM`, `±HH:MM`), as its docs show
// (`20160626T124259+0200`); a fraction is read as in the ISO form.
const COMPACT =
  /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(\d{2})(?:[.,](\d{1,9}))?([Zz]|[-+ ]\d{2}(?::?\d{2})?)?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[-+ ]\d{2}(?::?\d{2})?)?)?$/;

const ACCEPTED =
  'accepted are ISO 8601 / RFC 3339 (2026-11-22T10:30:00Z, 2026-11-22T10:30:00.123456789+01:00, ' +
  '2026-11-22T10:30:00 read in the configured zone, 2026-11-22), 20261122, 20261122T103000[Z|+0100], ' +
  'epoch seconds (1763800200) or milliseconds (1763800200000), ' +
  'now, now-7d, now-1w2d3h, now+1h (units s, m, h, d, w), today, yesterday';

/** A calendar date and wall-clock time, without a zone. */
interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Parses a time expression of the export API into integer nanoseconds since the epoch. Pure: the current
 * time and zone are parameters. Throws `QueryError` (naming the accepted forms) for anything else; the text
 * is matched against fixed patterns and never evaluated.
 *
 * Accepted forms:
 * - ISO 8601 / RFC 3339: `2026-11-22T10:30:00Z`, `…+01:00`, `…+0100`, `…+01`, a space instead of `T`,
 *   optional seconds and a fraction of up to 9 digits (kept exactly). Without an offset the wall-clock
 *   time is read in `timezone`.
 * - Whole days: `2026-11-22` and `20261122`; `today`, `yesterday` (in `timezone`). As `from` they mean the
 *   first instant of that day, as `to` the last nanosecond (23:59:59.999999999).
 * - Compact (Kotori's docs): `20261122T103000`, `20261122T103000Z`, with an offset `…+0100`, `…+01`,
 *   `…+01:00`, and an optional fraction `20261122T103000.5Z`. Without an offset: read in `timezone`.
 * - Epoch: 1–10 digits are seconds (except exactly 8 digits, which are `YYYYMMDD`), 13 digits
 *   milliseconds, 16 microseconds, 19 nanoseconds; `1763800200.5` is seconds with a fraction.
 * - Relative (Grafana style): `now`, `now-7d`, `now-1w2d3h`, `now-30m`, `now+1h`; units `s`, `m`
 *   (minutes), `h`, `d` (24 h), `w` (7 d), all fixed lengths counted from `now`.
 *
 * DST: a zone-less wall-clock time that occurs twice (autumn) is the earlier instant; one that does not
 * occur (spring gap) is read with the offset from before the change, i.e. moved forward by the gap
 * (the `compatible` rule of ECMAScript Temporal and Python's `fold=0`).
 */
export function parseTimeExpression(text: string, options: TimeExpressionOptions): bigint {
  const trimmed = text.trim();
  // No accepted form is longer; this keeps error messages short too.
  if (trimmed.length === 0 || trimmed.length > 48) throw notUnderstood(text);

  const relative = RELATIVE.exec(trimmed);
  if (relative) return options.now + relativeOffset(relative[1] ?? '');

  if (trimmed === 'today' || trimmed === 'yesterday') {
    const zone = ianaZone(options.timezone);
    const nowMs = Number(floorDiv(options.now, NS_PER_MS));
    const wall = new Date(nowMs + zone.offset(nowMs) * MS_PER_MINUTE);
    const day = wall.getUTCDate() - (trimmed === 'yesterday' ? 1 : 0);
    return dayBound(wall.getUTCFullYear(), wall.getUTCMonth() + 1, day, zone, options.role);
  }

  if (DIGITS.test(trimmed)) return digitsToNs(trimmed, options);

  const fractional = EPOCH_FRACTION.exec(trimmed);
  if (fractional) return BigInt(fractional[1]!) * NS_PER_SECOND + fractionToNs(fractional[2]!);

  const compact = COMPACT.exec(trimmed);
  if (compact) {
    const wall = wallTime(text, compact.slice(1, 7));
    const zone = compact[8] === undefined ? ianaZone(options.timezone) : offsetMinutes(text, compact[8]);
    return wallToNs(wall, zone, fractionToNs(compact[7] ?? ''));
  }

  const iso = ISO.exec(trimmed);
  if (iso) {
    if (iso[4] === undefined) {
      const wall = wallTime(text, [iso[1], iso[2], iso[3]]);
      return dayBound(wall.year, wall.month, wall.day, ianaZone(options.timezone), options.role);
    }
    const wall = wallTime(text, iso.slice(1, 7));
    const zone = iso[8] === undefined ? ianaZone(options.timezone) : offsetMinutes(text, iso[8]);
    return wallToNs(wall, zone, fractionToNs(iso[7] ?? ''));
  }

  throw notUnderstood(text);
}

function notUnderstood(text: string): QueryError {
  const shown = text.length > 48 ? `${text.slice(0, 48)}…` : text;
  return new QueryError(`time '${shown}' is not understood; ${ACCEPTED}`);
}

function relativeOffset(groups: string): bigint {
  let offset = 0n;
  for (const group of groups.matchAll(RELATIVE_GROUP)) {
    let amount = 0n;
    for (const term of group[2]!.matchAll(RELATIVE_TERM)) {
      amount += BigInt(term[1]!) * UNIT_NS[term[2]!]!;
    }
    offset += group[1] === '-' ? -amount : amount;
  }
  return offset;
}

function digitsToNs(digits: string, options: TimeExpressionOptions): bigint {
  switch (digits.length) {
    case 8: {
      // Kotori's compact date; epoch seconds with 8 digits (before 1973-03-04) are not reachable this way.
      const wall = wallTime(digits, [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8)]);
      return dayBound(wall.year, wall.month, wall.day, ianaZone(options.timezone), options.role);
    }
    case 13:
      return BigInt(digits) * NS_PER_MS;
    case 16:
      return BigInt(digits) * 1_000n;
    case 19:
      return BigInt(digits);
    default:
      if (digits.length <= 10) return BigInt(digits) * NS_PER_SECOND;
      throw notUnderstood(digits);
  }
}

/** Up to nine fraction digits, exactly, as nanoseconds. */
function fractionToNs(digits: string): bigint {
  return digits === '' ? 0n : BigInt(digits.padEnd(9, '0'));
}

function wallTime(text: string, parts: readonly (string | undefined)[]): WallTime {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts.map((part) =>
    part === undefined ? 0 : Number(part),
  );
  const wall = { year, month, day, hour, minute, second };
  const valid =
    wall.month >= 1 &&
    wall.month <= 12 &&
    wall.day >= 1 &&
    wall.day <= daysInMonth(wall.year, wall.month) &&
    wall.hour <= 23 &&
    wall.minute <= 59 &&
    wall.second <= 59;
  if (!valid) throw new QueryError(`time '${text.trim()}' names no valid date and time; ${ACCEPTED}`);
  return wall;
}

function offsetMinutes(text: string, zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59)
    throw new QueryError(`time '${text.trim()}' has an invalid UTC offset; ${ACCEPTED}`);
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (hours * 60 + minutes);
}

function ianaZone(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new QueryError(`time zone '${name}' is not a known IANA zone`);
  return zone;
}

/** A wall-clock time in a zone (or at a fixed offset in minutes) as nanoseconds since the epoch. */
function wallToNs(wall: WallTime, zone: IANAZone | number, fractionNs: bigint): bigint {
  const wallMs = utcMs(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second);
  const ms = typeof zone === 'number' ? wallMs - zone * MS_PER_MINUTE : zonedWallToMs(wallMs, zone);
  return BigInt(ms) * NS_PER_MS + fractionNs;
}

/** First instant of a day (`from`) or the last nanosecond before the next day starts (`to`). */
function dayBound(year: number, month: number, day: number, zone: IANAZone, role: 'from' | 'to'): bigint {
  if (role === 'from') return BigInt(zonedWallToMs(utcMs(year, month, day, 0, 0, 0), zone)) * NS_PER_MS;
  return BigInt(zonedWallToMs(utcMs(year, month, day + 1, 0, 0, 0), zone)) * NS_PER_MS - 1n;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}
