import type { Format } from './format.js';
import { jsonRowRenderer } from './json.js';
import { textChunks } from './text-chunks.js';

/** `data.ndjson`: newline-delimited JSON, one row object per line (same objects as `data.json`). */
export const ndjsonFormat: Format = {
  suffix: 'ndjson',
  contentType: 'application/x-ndjson',
  render(result, meta) {
    const renderRow = jsonRowRenderer(result, meta);
    return textChunks(result.rows, (row) => renderRow(row) + '\n');
  },
};
