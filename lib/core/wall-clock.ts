import type { IANAZone } from 'luxon';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** Milliseconds since the epoch of a wall-clock time read as UTC; fields may overflow (day 0, day 32). */
export function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** Days of a month (1–12) of a year. */
export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(utcMs(year, month + 1, 0, 0, 0, 0)).getUTCDate();
}

/**
 * Resolves a wall-clock time (given as if it were UTC) in an IANA zone to an instant (ms). Every offset
 * in use a day before, at, or a day after is a candidate; a candidate is right when the zone has that
 * offset at the resulting instant. Two right ones (autumn overlap): the earlier instant, as Python
 * (which Kotori runs on) reads it. None (spring gap): the offset from before the change, which moves
 * the time forward by the gap.
 */
export function zonedWallToMs(wallMs: number, zone: IANAZone): number {
  const candidates = new Set([
    zone.offset(wallMs - MS_PER_DAY),
    zone.offset(wallMs),
    zone.offset(wallMs + MS_PER_DAY),
  ]);
  let best: number | undefined;
  for (const offset of candidates) {
    const ms = wallMs - offset * MS_PER_MINUTE;
    if (zone.offset(ms) === offset && (best === undefined || ms < best)) best = ms;
  }
  return best ?? wallMs - zone.offset(wallMs - MS_PER_DAY) * MS_PER_MINUTE;
}
