import { QueryError } from '../../core/errors.js';
import { csvFormat, txtFormat } from './csv.js';
import type { Format } from './format.js';
import { htmlFormat } from './html.js';
import { jsonFormat } from './json.js';
import { lpFormat } from './lp.js';
import { ndjsonFormat } from './ndjson.js';
import { tsvFormat } from './tsv.js';
import { xlsxFormat } from './xlsx.js';

/**
 * Every export format by suffix. Adding one is its file in this folder (exporting a `Format`), its entry
 * here, and its test; the contract suite (test/export/format/format-contract.ts) runs it with the others.
 */
export const formats: ReadonlyMap<string, Format> = new Map(
  [csvFormat, txtFormat, tsvFormat, jsonFormat, ndjsonFormat, htmlFormat, xlsxFormat, lpFormat].map(
    (format): [string, Format] => [format.suffix, format],
  ),
);

/** The format for a URL suffix (case-insensitive, with or without the dot); `QueryError` naming the known ones. */
export function formatForSuffix(suffix: string): Format {
  const key = suffix.replace(/^\./, '').toLowerCase();
  const format = formats.get(key);
  if (format === undefined) {
    const known = [...formats.keys()].sort().join(', ');
    const shown = suffix.length > 32 ? `${suffix.slice(0, 32)}…` : suffix;
    throw new QueryError(`unknown export format '${shown}'; known formats: ${known}`);
  }
  return format;
}
