import type { Cell, QueryResult } from '../../../lib/acquire/sink/sink.js';
import type { ExportMeta, Format } from '../../../lib/export/format/format.js';

/** A result row as sinks yield it. */
export type Row = [bigint, ...Cell[]];

/** A one-shot QueryResult over fixed rows. */
export function resultOf(columns: readonly string[], rows: readonly Row[]): QueryResult {
  return {
    columns,
    rows: (async function* () {
      yield* rows;
    })(),
  };
}

/** Columns of `sample()`. */
export const SAMPLE_COLUMNS = ['temperature', 'humidity', 'note', 'ok', 'station'] as const;

/** Three rows covering nanosecond times, nulls, text needing quotes/escapes, booleans and a tag column. */
export function sample(): QueryResult {
  return resultOf(SAMPLE_COLUMNS, [
    [1583810982123456789n, 21.5, 48, 'plain', true, 'a'],
    [1583810983000000000n, null, 49.25, 'has, comma', false, 'b'],
    [1583810984500000000n, -3, null, 'say "hi"\nnext\\line', null, 'a b'],
  ]);
}

/** Meta of `sample()`. */
export const SAMPLE_META: ExportMeta = {
  measurement: 'area_42_node_1_sensors',
  tagColumns: ['station'],
  title: 'hiverize / testdrive / area-42 / node-1',
};

/** Renders to one Buffer, also returning how many chunks arrived. */
export async function renderBytes(
  format: Format,
  result: QueryResult,
  meta: ExportMeta = SAMPLE_META,
): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of format.render(result, meta)) {
    parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  }
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

/** Renders to a string (UTF-8). */
export async function renderText(
  format: Format,
  result: QueryResult,
  meta: ExportMeta = SAMPLE_META,
): Promise<string> {
  return (await renderBytes(format, result, meta)).bytes.toString('utf8');
}
