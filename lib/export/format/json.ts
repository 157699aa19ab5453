import type { Cell, QueryResult } from '../../acquire/sink/sink.js';
import type { ExportMeta, Format } from './format.js';
import { nsToIso } from './iso-time.js';
import { textChunks } from './text-chunks.js';

/** A cell as a JSON value: null (also for NaN and ±Infinity, which JSON cannot carry) stays null. */
function jsonValue(value: Cell | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/**
 * A renderer of rows as JSON objects `{"time":"…","temperature":21.5,"humidity":null}`. Every object has
 * every column, null where the row has no value, so consumers see one shape (as pandas' `records` do).
 * The keys are escaped once, not per row. Without `meta.time` the objects have no `time` key.
 */
export function jsonRowRenderer(
  result: QueryResult,
  meta: Pick<ExportMeta, 'time'> = {},
): (row: [bigint, ...Cell[]]) => string {
  const keys = result.columns.map((column) => ',' + JSON.stringify(column) + ':');
  if (meta.time === false) {
    // Without time the first key opens the object instead of following `"time":…`.
    if (keys.length > 0) keys[0] = keys[0]!.slice(1);
    return (row) => {
      let text = '{';
      for (let i = 0; i < keys.length; i++) text += keys[i]! + jsonValue(row[i + 1] as Cell | undefined);
      return text + '}';
    };
  }
  return (row) => {
    let text = '{"time":"' + nsToIso(row[0]) + '"';
    for (let i = 0; i < keys.length; i++) text += keys[i]! + jsonValue(row[i + 1] as Cell | undefined);
    return text + '}';
  };
}

/** `data.json`: a JSON array of row objects (see `jsonRowRenderer`), streamed as `[`, rows joined by `,\n`, `]`. */
export const jsonFormat: Format = {
  suffix: 'json',
  contentType: 'application/json',
  render(result, meta) {
    return textChunks(result.rows, jsonRowRenderer(result, meta), {
      head: '[\n',
      separator: ',\n',
      tail: '\n]\n',
    });
  },
};
