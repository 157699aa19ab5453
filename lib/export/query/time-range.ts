import { QueryError } from '../../core/errors.js';
import { parseTimeExpression } from '../../core/time-expression.js';

/** An inclusive time range, integer nanoseconds since the epoch. */
export interface TimeRange {
  from: bigint;
  to: bigint;
}

/** `from` when the request names none (Kotori's default: the last ten days). */
export const DEFAULT_FROM = 'now-10d';
/** `to` when the request names none. */
export const DEFAULT_TO = 'now';

/**
 * Turns the `from` / `to` query parameters of an export request into a range. Absent or blank parameters
 * take the defaults `now-10d` … `now`; each one is read by `parseTimeExpression` (a whole day as `to`
 * includes that day). Pure: `now` and the zone of zone-less values are parameters.
 * Throws `QueryError` for an expression that is not understood and when `from` is after `to`.
 */
export function resolveTimeRange(
  params: { from?: string | undefined; to?: string | undefined },
  options: { now: bigint; timezone: string },
): TimeRange {
  const fromText = present(params.from) ?? DEFAULT_FROM;
  const toText = present(params.to) ?? DEFAULT_TO;
  const from = parseTimeExpression(fromText, { ...options, role: 'from' });
  const to = parseTimeExpression(toText, { ...options, role: 'to' });
  if (from > to) throw new QueryError(`time range is empty: from '${fromText}' is after to '${toText}'`);
  return { from, to };
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
