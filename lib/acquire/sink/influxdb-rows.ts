import { StorageError } from '../../core/errors.js';
import { type InfluxChunk, rfc3339ToNs, statementRows } from './influxql.js';
import type { Cell } from './sink.js';

/** A row of a query answer: the time in integer nanoseconds, then one cell per selected column. */
export type Row = [bigint, ...Cell[]];

/** The rows of an answer with nothing to read. */
export const NO_ROWS: AsyncIterable<Row> = {
  async *[Symbol.asyncIterator]() {},
};

/** The first `count` rows of `rows`; the rest are not read (the answer is closed). */
export function firstRows(rows: AsyncIterable<Row>, count: number): AsyncIterable<Row> {
  return {
    async *[Symbol.asyncIterator]() {
      if (count <= 0) return;
      let taken = 0;
      for await (const row of rows) {
        yield row;
        if (++taken >= count) return;
      }
    },
  };
}

/** The rows of a streamed /query answer (its parsed `chunks`), `width` columns after the time. */
export function answerRows(
  chunks: AsyncGenerator<InfluxChunk>,
  what: string,
  width: number,
): AsyncIterable<Row> {
  return { [Symbol.asyncIterator]: () => new RowReader(chunks, what, width) };
}

/**
 * The rows of a streamed /query answer, one `next()` per row. Rows of a parsed chunk are handed out
 * from it directly (an already settled promise each) instead of through an async generator, which
 * costs several promises and a suspended frame per row: an export of a million rows made as many.
 * Each parsed JSON array becomes the row: time replaced in place, extra columns cut off. An error in a
 * chunk is thrown after the rows before it, as InfluxDB sent them.
 */
class RowReader implements AsyncIterator<Row> {
  private rows: unknown[][] = [];
  private at = 0;
  /** An error found in the current chunk, thrown once the rows before it are taken. */
  private failure: StorageError | undefined;
  private finished = false;

  constructor(
    private readonly chunks: AsyncGenerator<InfluxChunk>,
    private readonly what: string,
    private readonly width: number,
  ) {}

  next(): Promise<IteratorResult<Row>> {
    if (this.at < this.rows.length) {
      try {
        return Promise.resolve({ value: this.take(), done: false });
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.nextChunk();
  }

  async return(): Promise<IteratorResult<Row>> {
    this.finished = true;
    this.rows = [];
    await this.chunks.return(undefined);
    return { value: undefined, done: true };
  }

  private take(): Row {
    const row = this.rows[this.at]!;
    // Let the chunk's rows go as they are taken.
    this.rows[this.at++] = EMPTY_ROW;
    row[0] = rfc3339ToNs(row[0] as string);
    if (row.length > this.width + 1) row.length = this.width + 1;
    return row as Row;
  }

  private async nextChunk(): Promise<IteratorResult<Row>> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) return { value: undefined, done: true };
      const next = await this.chunks.next();
      if (next.done) {
        this.finished = true;
        return { value: undefined, done: true };
      }
      this.load(next.value);
      if (this.at < this.rows.length) return { value: this.take(), done: false };
    }
  }

  private load(chunk: InfluxChunk): void {
    this.rows = [];
    this.at = 0;
    if (chunk.error) {
      this.failure = new StorageError(`influxdb: ${this.what} failed: ${chunk.error}`, false);
      return;
    }
    for (const result of chunk.results ?? []) {
      if (result.error) {
        this.failure = new StorageError(`influxdb: ${this.what} failed: ${result.error}`, false);
        return;
      }
      for (const row of statementRows(result)) this.rows.push(row);
    }
  }
}

const EMPTY_ROW: unknown[] = [];
