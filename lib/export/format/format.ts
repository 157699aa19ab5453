import type { QueryResult } from '../../acquire/sink/sink.js';

/** What a format needs to know about an export besides its rows. */
export interface ExportMeta {
  /** The measurement the rows come from (line protocol writes it on every line). */
  measurement: string;
  /** Columns that are InfluxDB tags rather than fields (line protocol writes them as tags). */
  tagColumns: readonly string[];
  /** Human title of the data, e.g. `hiverize / testdrive / area-42 / node-1`. */
  title: string;
  /**
   * False: formats with columns leave the time column out (`exclude=time`, as Kotori drops it). Line
   * protocol keeps its timestamps: a point without one would be stamped anew on import. Default true.
   */
  time?: boolean | undefined;
}

/**
 * Format: turns a query result into the bytes of one file type, selected by the URL suffix (`data.csv`).
 * Contract: pure (no I/O, clock or logger); `render` consumes `result.rows` incrementally and yields chunks
 * as it goes, holding a bounded amount in memory whatever the row count; errors of the row stream pass
 * through to the consumer.
 */
export interface Format {
  /** URL suffix without the dot, lower case. */
  suffix: string;
  /** Value for the Content-Type header. */
  contentType: string;
  render(result: QueryResult, meta: ExportMeta): AsyncIterable<string | Uint8Array>;
}
