import { QueryError } from '../core/errors.js';

/**
 * The `all` parameter of the `latest` overviews: absent = false; `true`, `1`, `yes`, `on` or empty =
 * true; `false`, `0`, `no`, `off` = false (the last one counts when repeated); anything else a
 * `QueryError`.
 */
export function allFlag(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const text = (Array.isArray(value) ? (value[value.length - 1] ?? '') : value).trim().toLowerCase();
  if (['', 'true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new QueryError(`all must be true or false, not '${text.slice(0, 40)}'`);
}
