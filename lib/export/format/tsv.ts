import type { Cell } from '../../acquire/sink/sink.js';
import type { Format } from './format.js';
import { nsToIso } from './iso-time.js';
import { textChunks } from './text-chunks.js';

// TSV has no quoting: a tab or line break inside a value would split it, so it becomes a space.
const SEPARATORS = /[\t\r\n]/g;

function tsvField(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  return value.replace(SEPARATORS, ' ');
}

/**
 * `data.tsv`: tab-separated values (IANA text/tab-separated-values): header `time<TAB><columns…>`, one line
 * per row, null → empty, tabs and line breaks inside values replaced by spaces (without `meta.time`:
 * the columns only).
 */
export const tsvFormat: Format = {
  suffix: 'tsv',
  contentType: 'text/tab-separated-values; charset=utf-8',
  render(result, meta) {
    const width = result.columns.length;
    const time = meta.time !== false;
    const head = (time ? ['time', ...result.columns] : result.columns).map(tsvField).join('\t') + '\n';
    return textChunks(
      result.rows,
      (row) => {
        let line = time ? nsToIso(row[0]) : tsvField(row[1] as Cell | undefined);
        for (let i = time ? 1 : 2; i <= width; i++) line += '\t' + tsvField(row[i] as Cell | undefined);
        return line + '\n';
      },
      { head },
    );
  },
};
