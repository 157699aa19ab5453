import type { Cell, QueryResult } from '../../acquire/sink/sink.js';
import type { ExportMeta, Format } from './format.js';
import { nsToIso } from './iso-time.js';
import { textChunks } from './text-chunks.js';

// RFC 4180: a field is quoted only when it holds a comma, a double quote or a line break.
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: null → empty, numbers as JavaScript prints them, text quoted only where needed. */
function csvField(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  return NEEDS_QUOTES.test(value) ? '"' + value.replaceAll('"', '""') + '"' : value;
}

function renderCsv(result: QueryResult, meta: ExportMeta): AsyncIterable<string> {
  const width = result.columns.length;
  if (meta.time === false) {
    const head = result.columns.map(csvField).join(',') + '\n';
    return textChunks(
      result.rows,
      (row) => {
        let line = csvField(row[1] as Cell | undefined);
        for (let i = 2; i <= width; i++) line += ',' + csvField(row[i] as Cell | undefined);
        return line + '\n';
      },
      { head },
    );
  }
  const head = ['time', ...result.columns].map(csvField).join(',') + '\n';
  return textChunks(
    result.rows,
    (row) => {
      let line = nsToIso(row[0]);
      for (let i = 1; i <= width; i++) line += ',' + csvField(row[i] as Cell | undefined);
      return line + '\n';
    },
    { head },
  );
}

/**
 * `data.csv`: header `time,<columns…>`, one line per row, time as ISO 8601 UTC with the exact fraction
 * (without `meta.time`: the columns only).
 * Quoting per RFC 4180 where needed; lines end in `\n` (as Kotori's pandas export does), not CRLF.
 */
export const csvFormat: Format = {
  suffix: 'csv',
  contentType: 'text/csv; charset=utf-8',
  render: renderCsv,
};

/** `data.txt`: the CSV document, served as plain text so browsers show it instead of downloading it. */
export const txtFormat: Format = {
  suffix: 'txt',
  contentType: 'text/plain; charset=utf-8',
  render: renderCsv,
};
