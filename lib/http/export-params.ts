import { QueryError } from '../core/errors.js';
import { parseTimeExpression } from '../core/time-expression.js';
import { EARLIEST } from '../export/pipeline.js';
import type { FillMode } from '../export/query/fill.js';
import { DEFAULT_TO, resolveTimeRange, type TimeRange } from '../export/query/time-range.js';

/** What the query string of an export asks for, validated. */
export interface ExportParams {
  range: TimeRange;
  /** Only these columns (`include=a,b`); unknown names are no error. */
  include?: string[] | undefined;
  /** Without these columns (`exclude=a,b`). */
  exclude?: string[] | undefined;
  order: 'asc' | 'desc';
  limit?: number | undefined;
  /** `scalar=<field>`: answer the first value of that field as plain text. */
  scalar?: string | undefined;
  /** Gap filling, applied in this order (`pad`, `backfill`, `interpolate`). */
  fill: FillMode[];
}

const SINGLE = ['from', 'to', 'include', 'exclude', 'sort', 'direction', 'limit', 'last', 'scalar'];
const FILLS: readonly FillMode[] = ['pad', 'backfill', 'interpolate'];
const TRUE = ['', 'true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const COUNT = /^\d{1,9}$/;

/**
 * Reads the parameters of an export (`GET …/data.csv?…`). Pure: `now` and the zone of zone-less times
 * are parameters. Unknown parameters are ignored (as Kotori does); a known one given twice or with a
 * value it cannot have is a `QueryError` saying what is accepted.
 *
 * - `from`, `to`: see `resolveTimeRange` (default `now-10d` … `now`).
 * - `include`, `exclude`: comma lists of column names (`time` is always there).
 * - `sort`: `time` only — InfluxDB returns rows in time order, and sorting by another column would
 *   mean holding the whole result; `direction`: `asc` (default) or `desc`.
 * - `limit=N`: at most N rows. `last=N`: the newest N rows, newest first; `from` then defaults to the
 *   beginning of time (it cannot be combined with `limit` or `direction=asc`).
 * - `scalar=<field>`: the first value of that field, as plain text.
 * - `pad`, `backfill`, `interpolate`: fill gaps (`true`/`1`/`yes`/`on`, or no value; `false`/`0`/`no`/`off`).
 */
export function parseExportParams(
  query: URLSearchParams,
  options: { now: bigint; timezone: string },
): ExportParams {
  for (const name of SINGLE) {
    if (query.getAll(name).length > 1) throw new QueryError(`parameter '${name}' is given more than once`);
  }
  const get = (name: string) => query.get(name) ?? undefined;

  const last = count(get('last'), 'last');
  const limit = count(get('limit'), 'limit');
  if (last !== undefined && limit !== undefined) {
    throw new QueryError("give either 'last' (the newest N rows) or 'limit', not both");
  }

  const sort = get('sort')?.trim();
  if (sort !== undefined && sort !== '' && sort.toLowerCase() !== 'time') {
    throw new QueryError(
      `cannot sort by '${clip(sort)}': rows come from the store in time order, so only sort=time is supported ` +
        '(with direction=asc or direction=desc)',
    );
  }
  const direction = get('direction')?.trim().toLowerCase();
  if (direction !== undefined && direction !== '' && direction !== 'asc' && direction !== 'desc') {
    throw new QueryError(`direction must be 'asc' or 'desc', not '${clip(direction)}'`);
  }
  if (last !== undefined && direction === 'asc') {
    throw new QueryError(
      "'last' returns the newest rows newest first; it cannot be combined with direction=asc",
    );
  }
  const order: 'asc' | 'desc' = last !== undefined || direction === 'desc' ? 'desc' : 'asc';

  const from = get('from');
  const to = get('to');
  const range =
    last !== undefined && (from === undefined || from.trim() === '')
      ? { from: EARLIEST, to: parseTimeExpression(to?.trim() || DEFAULT_TO, { ...options, role: 'to' }) }
      : resolveTimeRange({ from, to }, options);

  const scalar = get('scalar')?.trim();
  if (scalar === '') throw new QueryError("scalar needs a field name, e.g. 'scalar=temperature'");

  const fill: FillMode[] = [];
  for (const mode of FILLS) if (flag(query, mode)) fill.push(mode);

  return {
    range,
    include: list(get('include')),
    exclude: list(get('exclude')),
    order,
    limit: last ?? limit,
    scalar,
    fill,
  };
}

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!COUNT.test(text) || Number(text) === 0) {
    throw new QueryError(`${name} must be a whole number from 1 to 999999999, not '${clip(value)}'`);
  }
  return Number(text);
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && name !== 'time');
  return names;
}

function flag(query: URLSearchParams, name: string): boolean {
  const values = query.getAll(name);
  if (values.length === 0) return false;
  const value = (values[values.length - 1] ?? '').trim().toLowerCase();
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new QueryError(`${name} must be true or false, not '${clip(value)}'`);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
