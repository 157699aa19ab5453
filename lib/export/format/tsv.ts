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
 * per row, null → empty, tabs and line breaks inside values replaced by spaces.
 */
export const tsvFormat: Format = {
  suffix: 'tsv',
  contentType: 'text/tab-separated-values; charset=utf-8',
  render(result) {
    const width = result.columns.length;
    const head = ['time', ...result.columns].map(tsvField).join('\t') + '\n';
    return textChunks(
      result.rows,
      (row) => {
        let line = nsToIso(row[0]);
        for (let i = 1; i <= width; i++) line += '\t' + tsvField(row[i] as Cell | undefined);
        return line + '\n';
      },
      { head },
    );
  },
};
