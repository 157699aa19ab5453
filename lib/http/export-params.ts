import { EARLIEST_TIME } from '../acquire/sanitize/storage-address.js';
import {
  AGGREGATE_FUNCTIONS,
  type AggregateFunction,
  type Aggregation,
} from '../acquire/sink/aggregation.js';
import { QueryError } from '../core/errors.js';
import { parseTimeExpression } from '../core/time-expression.js';
import type { FillMode } from '../export/query/fill.js';
import type { RowSort } from '../export/query/sort.js';
import { DEFAULT_TO, resolveTimeRange, type TimeRange } from '../export/query/time-range.js';

/** What the query string of an export asks for, validated. */
export interface ExportParams {
  range: TimeRange;
  /** Only these columns (`include=a,b`); unknown names are no error. */
  include?: string[] | undefined;
  /** Without these columns (`exclude=a,b`). */
  exclude?: string[] | undefined;
  /** Time order of the rows read from the store. */
  order: 'asc' | 'desc';
  /** At most this many rows read from the store. */
  limit?: number | undefined;
  /** `sort=<columns>` other than time alone: the rows sorted by those columns (see `ExportSort`). */
  sort?: RowSort | undefined;
  /** False when `exclude` names `time`: the formats with columns leave it out. */
  time: boolean;
  /** `scalar=<field>`: answer the first value of that field as plain text. */
  scalar?: string | undefined;
  /** Gap filling, applied in this order (`pad`, `backfill`, `interpolate`). */
  fill: FillMode[];
  /** `interval=<duration>&aggregate=<function>`: one row per time bucket, computed by the store. */
  aggregate?: Aggregation | undefined;
}

const SINGLE = [
  'from',
  'to',
  'include',
  'exclude',
  'sort',
  'direction',
  'limit',
  'last',
  'scalar',
  'interval',
  'aggregate',
];
const FILLS: readonly FillMode[] = ['pad', 'backfill', 'interpolate'];
const TRUE = ['', 'true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const COUNT = /^\d{1,9}$/;
// Kotori's `direction` is pandas' `ascending=direction.startswith("asc")`; its docs name asc/desc.
const DIRECTIONS: Readonly<Record<string, 'asc' | 'desc'>> = {
  asc: 'asc',
  ascending: 'asc',
  desc: 'desc',
  descending: 'desc',
};

/**
 * Reads the parameters of an export (`GET …/data.csv?…`). Pure: `now` and the zone of zone-less times
 * are parameters. Unknown parameters are ignored (as Kotori does); a known one given twice or with a
 * value it cannot have is a `QueryError` saying what is accepted.
 *
 * - `from`, `to`: see `resolveTimeRange` (default `now-10d` … `now`).
 * - `include`, `exclude`: comma lists of column names. `include` keeps `time`; `exclude=time` drops it
 *   (as Kotori does), so the formats with columns return only the remaining ones.
 * - `direction`: `asc`/`ascending` (default) or `desc`/`descending`. `sort`: a comma list of columns.
 *   `sort=time` (or none) streams the rows in time order from the store; any other column sorts the
 *   rows of the range in memory (see `sortRows`), ties kept in time order.
 * - `limit=N`: at most N rows (after sorting, as Kotori applies it). `last=N`: the newest N rows,
 *   newest first (or sorted by `sort`); `from` then defaults to the beginning of time (it cannot be
 *   combined with `limit`, nor with `direction=asc` unless `sort` names a column).
 * - `scalar=<field>`: the first value of that field, as plain text.
 * - `pad`, `backfill`, `interpolate`: fill gaps (`true`/`1`/`yes`/`on`, or no value; `false`/`0`/`no`/`off`).
 * - `interval=<n><unit>` (`ms`, `s`, `m`, `h`, `d`, `w`; InfluxQL's duration units) and
 *   `aggregate=mean|min|max|sum|count|first|last` (default `mean`): one row per time bucket of that width,
 *   aligned to the epoch and timed at its start, computed by the store (see `Aggregation`). `aggregate`
 *   needs `interval`.
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

  const direction = directionOf(get('direction'));
  // `time` in any case, as before: `sort=TIME` is the store's order.
  const sortBy = list(get('sort'), true)?.map((name) => (name.toLowerCase() === 'time' ? 'time' : name));
  const byColumns =
    sortBy !== undefined && sortBy.length > 0 && !(sortBy.length === 1 && sortBy[0] === 'time');
  if (last !== undefined && direction === 'asc' && !byColumns) {
    throw new QueryError(
      "'last' returns the newest rows newest first; it cannot be combined with direction=asc",
    );
  }
  const order: 'asc' | 'desc' = last !== undefined || (!byColumns && direction === 'desc') ? 'desc' : 'asc';
  const sort: RowSort | undefined = byColumns
    ? { by: sortBy, direction: direction ?? 'asc', limit: last === undefined ? limit : undefined }
    : undefined;

  const from = get('from');
  const to = get('to');
  const range =
    last !== undefined && (from === undefined || from.trim() === '')
      ? { from: EARLIEST_TIME, to: parseTimeExpression(to?.trim() || DEFAULT_TO, { ...options, role: 'to' }) }
      : resolveTimeRange({ from, to }, options);

  const scalar = get('scalar')?.trim();
  if (scalar === '') throw new QueryError("scalar needs a field name, e.g. 'scalar=temperature'");

  const fill: FillMode[] = [];
  for (const mode of FILLS) if (flag(query, mode)) fill.push(mode);

  return {
    aggregate: aggregationOf(get('interval'), get('aggregate')),
    range,
    include: list(get('include')),
    exclude: list(get('exclude')),
    order,
    limit: last ?? (sort === undefined ? limit : undefined),
    sort,
    time: !(list(get('exclude'), true) ?? []).includes('time'),
    scalar,
    fill,
  };
}

const DURATION = /^(\d{1,12})(ms|s|m|h|d|w)$/;
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

function aggregationOf(interval: string | undefined, aggregate: string | undefined): Aggregation | undefined {
  const fnText = aggregate?.trim().toLowerCase();
  const intervalText = interval?.trim();
  if (intervalText === undefined || intervalText === '') {
    if (fnText === undefined || fnText === '') return undefined;
    throw new QueryError(`aggregate needs an interval, e.g. 'interval=1h&aggregate=${clip(fnText)}'`);
  }
  const match = DURATION.exec(intervalText);
  const ns = match === null ? 0n : BigInt(match[1]!) * UNIT_NS[match[2]!]!;
  if (ns === 0n) {
    throw new QueryError(
      `interval must be a whole number and a unit (ms, s, m, h, d, w), e.g. '10m', not '${clip(intervalText)}'`,
    );
  }
  const fn = fnText === undefined || fnText === '' ? 'mean' : fnText;
  if (!(AGGREGATE_FUNCTIONS as readonly string[]).includes(fn)) {
    throw new QueryError(`aggregate must be one of ${AGGREGATE_FUNCTIONS.join(', ')}, not '${clip(fn)}'`);
  }
  return { interval: ns, fn: fn as AggregateFunction };
}

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!COUNT.test(text) || Number(text) === 0) {
    throw new QueryError(`${name} must be a whole number from 1 to 999999999, not '${clip(value)}'`);
  }
  return Number(text);
}

/** A comma list of column names without blanks; `time` left out unless `withTime`. */
function list(value: string | undefined, withTime = false): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && (withTime || name !== 'time'));
  return names;
}

function directionOf(value: string | undefined): 'asc' | 'desc' | undefined {
  const text = value?.trim().toLowerCase();
  if (text === undefined || text === '') return undefined;
  const direction = DIRECTIONS[text];
  if (direction === undefined) {
    throw new QueryError(
      `direction must be 'asc' (or 'ascending') or 'desc' (or 'descending'), not '${clip(text)}'`,
    );
  }
  return direction;
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
