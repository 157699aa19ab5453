import { DecodeError } from '../../core/errors.js';

/**
 * Refuses a name or tag value that ends in a backslash. InfluxDB 1.x line protocol has no way to
 * write one: the backslash would escape the delimiter after it (models/points.go), so the sink has to
 * drop it, and `k\` would then silently be stored as `k` — the same series or field as `k`. The SQLite
 * store could keep it, but a reading must mean the same in either store, so it is refused in both
 * (400 / `error.json`) rather than changed. Pure; throws `DecodeError`.
 */
export function refuseTrailingBackslash(what: string, text: string): void {
  if (text.charCodeAt(text.length - 1) !== 0x5c) return;
  throw new DecodeError(
    `${what} ${JSON.stringify(text)} ends in a backslash, which InfluxDB line protocol cannot store`,
  );
}
