/** How `textChunks` frames and sizes its output. */
export interface TextChunkOptions {
  /** Text before the first row (a header line, `[`, the top of a page). */
  head?: string | undefined;
  /** Text between two rows (`,\n` for a JSON array); rows carry their own line ends otherwise. */
  separator?: string | undefined;
  /** Text after the last row. */
  tail?: string | undefined;
  /** Emit a chunk after this many rows (default 1000). */
  rowsPerChunk?: number | undefined;
  /** …or once a chunk holds this many characters (default 64 Ki), whichever comes first. */
  charsPerChunk?: number | undefined;
}

const DEFAULT_ROWS_PER_CHUNK = 1000;
const DEFAULT_CHARS_PER_CHUNK = 65_536;

/**
 * Renders rows to text chunks as the rows arrive: each row through `renderRow` (an empty string drops the
 * row), joined by `separator`, framed by `head` and `tail`. Holds at most one chunk in memory, so a
 * document of any length streams with flat memory; the consumer's pace sets the pace of reading `rows`.
 */
export async function* textChunks<Row>(
  rows: AsyncIterable<Row>,
  renderRow: (row: Row) => string,
  options: TextChunkOptions = {},
): AsyncGenerator<string, void, undefined> {
  const separator = options.separator ?? '';
  const rowsPerChunk = options.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
  const charsPerChunk = options.charsPerChunk ?? DEFAULT_CHARS_PER_CHUNK;
  let chunk = options.head ?? '';
  let rowsInChunk = 0;
  let first = true;
  for await (const row of rows) {
    const text = renderRow(row);
    if (text === '') continue;
    if (!first) chunk += separator;
    first = false;
    chunk += text;
    rowsInChunk++;
    if (rowsInChunk >= rowsPerChunk || chunk.length >= charsPerChunk) {
      yield chunk;
      chunk = '';
      rowsInChunk = 0;
    }
  }
  chunk += options.tail ?? '';
  if (chunk !== '') yield chunk;
}
