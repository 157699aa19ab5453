import type { Cell } from '../../acquire/sink/sink.js';
import type { Format } from './format.js';
import { nsToIso } from './iso-time.js';
import { textChunks } from './text-chunks.js';

const HTML_SPECIAL = /[&<>"']/g;
const HTML_ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside an element or a quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(HTML_SPECIAL, (char) => HTML_ENTITY[char]!);
}

function htmlCell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '<td></td>';
  return '<td>' + (typeof value === 'string' ? escapeHtml(value) : String(value)) + '</td>';
}

const STYLE =
  'body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}' +
  'th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}thead th{background:#eee;position:sticky;top:0}';

/**
 * `data.html`: a complete small HTML page titled with `meta.title`, holding one `<table>` with the column
 * names in `<thead>` and one `<tr>` per row in `<tbody>`. All text is HTML-escaped; null → empty cell.
 * Without `meta.time` the table has no time column.
 */
export const htmlFormat: Format = {
  suffix: 'html',
  contentType: 'text/html; charset=utf-8',
  render(result, meta) {
    const width = result.columns.length;
    const time = meta.time !== false;
    const title = escapeHtml(meta.title);
    const headerCells = (time ? ['time', ...result.columns] : result.columns)
      .map((column) => '<th>' + escapeHtml(column) + '</th>')
      .join('');
    const head =
      '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>' +
      title +
      '</title>\n<style>' +
      STYLE +
      '</style>\n</head>\n<body>\n<h1>' +
      title +
      '</h1>\n<table>\n<thead><tr>' +
      headerCells +
      '</tr></thead>\n<tbody>\n';
    return textChunks(
      result.rows,
      (row) => {
        let line = time ? '<tr><td>' + nsToIso(row[0]) + '</td>' : '<tr>';
        for (let i = 1; i <= width; i++) line += htmlCell(row[i] as Cell | undefined);
        return line + '</tr>\n';
      },
      { head, tail: '</tbody>\n</table>\n</body>\n</html>\n' },
    );
  },
};
