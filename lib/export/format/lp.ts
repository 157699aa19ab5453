import type { Cell } from '../../acquire/sink/sink.js';
import type { Format } from './format.js';
import { textChunks } from './text-chunks.js';

// InfluxDB line protocol escaping (docs.influxdata.com, "Line protocol" → "Special characters"):
// measurement: comma and space; tag keys, tag values and field keys: comma, equals sign and space;
// string field values: double quote and backslash. A line break cannot be escaped in a name or tag
// value (it ends the line), so it becomes a space there. Inside a quoted string field it is kept as is:
// the docs call that unsupported, but InfluxDB 1.x reads it (its parser honours the quotes) and its Go
// client writes it that way; test/export/format/lp.test.ts re-imports such a value into influxd.
const MEASUREMENT_SPECIAL = /[, ]/g;
const KEY_SPECIAL = /[,= ]/g;
const LINE_BREAK = /[\r\n]/g;
const STRING_SPECIAL = /["\\]/g;

// Most names and values need no escaping; one test saves two replacements on the hot path.
const ANY_NAME_SPECIAL = /[, =\r\n]/;

function escapeMeasurement(name: string): string {
  if (!ANY_NAME_SPECIAL.test(name)) return name;
  return name.replace(LINE_BREAK, ' ').replace(MEASUREMENT_SPECIAL, '\\$&');
}

function escapeKey(key: string): string {
  if (!ANY_NAME_SPECIAL.test(key)) return key;
  return key.replace(LINE_BREAK, ' ').replace(KEY_SPECIAL, '\\$&');
}

/** A field value, or '' when it cannot be written (null; NaN and ±Infinity have no line-protocol form). */
function fieldValue(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  // A bare number is a float in line protocol; no `i` suffix, as Kotori writes every number as float.
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return '"' + value.replace(STRING_SPECIAL, '\\$&') + '"';
}

interface Column {
  /** Column name as in the result. */
  name: string;
  /** Index of the cell in a row (after `time`). */
  index: number;
  /** Escaped key followed by `=`. */
  prefix: string;
}

/**
 * `data.lp`: InfluxDB line protocol that re-imports as it was, one line per row:
 * `measurement,tag=value field=1,text="a \"b\"" 1583810982123456789` (time in nanoseconds).
 * Columns named in `meta.tagColumns` become tags (in key order, as InfluxDB recommends), the others
 * fields; nulls and empty tag values are left out, and a row without any field value is skipped
 * (line protocol needs at least one field).
 */
export const lpFormat: Format = {
  suffix: 'lp',
  contentType: 'text/plain; charset=utf-8',
  render(result, meta) {
    const measurement = escapeMeasurement(meta.measurement);
    const tagNames = new Set(meta.tagColumns);
    const tags: Column[] = [];
    const fields: Column[] = [];
    result.columns.forEach((name, i) => {
      const column = { name, index: i + 1, prefix: escapeKey(name) + '=' };
      (tagNames.has(name) ? tags : fields).push(column);
    });
    tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return textChunks(result.rows, (row) => {
      let fieldText = '';
      for (const field of fields) {
        const value = fieldValue(row[field.index] as Cell | undefined);
        if (value !== '') fieldText += (fieldText === '' ? '' : ',') + field.prefix + value;
      }
      if (fieldText === '') return '';
      let line = measurement;
      for (const tag of tags) {
        const value = row[tag.index];
        if (value === null || value === undefined || value === '') continue;
        line += ',' + tag.prefix + escapeKey(String(value));
      }
      return line + ' ' + fieldText + ' ' + String(row[0]) + '\n';
    });
  },
};
