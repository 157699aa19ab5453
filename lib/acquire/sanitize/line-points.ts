import { DecodeError } from '../../core/errors.js';
import type { FieldValue, Point } from '../../core/point.js';
import type { ParsedLine } from '../decode/line-protocol.js';
import { EARLIEST_TIME, LATEST_TIME } from './storage-address.js';
import { refuseTrailingBackslash } from './trailing-backslash.js';

/**
 * A line of line protocol as a point, exactly as written: measurement, tags and field names unchanged,
 * floats as numbers, integers as `bigint`, strings and booleans as they are. A line without a timestamp
 * gets `receivedAt` (InfluxDB stamps such lines with the time the request arrived, one time for the
 * whole request). Pure; throws `DecodeError` for what no store can take:
 * - an unsigned integer (`1u`): InfluxDB 1.x stores none (its line protocol refuses them unless built
 *   with unsigned support), and storing it as a signed integer would change its type;
 * - a time outside InfluxDB's range;
 * - a measurement, tag or field name, or tag value, ending in a backslash (`refuseTrailingBackslash`).
 */
export function lineToPoint(line: ParsedLine, receivedAt: bigint): Point {
  refuseTrailingBackslash('measurement', line.measurement);
  for (const [key, value] of Object.entries(line.tags)) {
    refuseTrailingBackslash('tag key', key);
    refuseTrailingBackslash(`tag '${key}' value`, value);
  }
  const fields: [string, FieldValue][] = [];
  for (const [key, field] of Object.entries(line.fields)) {
    refuseTrailingBackslash('field name', key);
    if (field.type === 'unsigned') {
      throw new DecodeError(`field '${key}': unsigned integers (${field.value}u) cannot be stored`);
    }
    fields.push([key, field.value]);
  }
  const time = line.time ?? receivedAt;
  if (time < EARLIEST_TIME || time > LATEST_TIME) throw new DecodeError(`time ${time} outside range`);
  // fromEntries defines own properties: a name like `__proto__` stays a name.
  return { measurement: line.measurement, tags: line.tags, fields: Object.fromEntries(fields), time };
}
