import type { FieldValue, Point } from '../../core/point.js';
import type { Aggregation } from './aggregation.js';

/** What to read back from one measurement of one database. */
export interface SeriesQuery {
  database: string;
  measurement: string;
  /** Inclusive lower bound, integer nanoseconds since the epoch. */
  from: bigint;
  /** Inclusive upper bound, integer nanoseconds since the epoch. */
  to: bigint;
  /** Only these fields/tags (unknown names are no error). Undefined: all of them. */
  include?: readonly string[] | undefined;
  /** Leave these fields/tags out (unknown names are no error). */
  exclude?: readonly string[] | undefined;
  /** Only rows whose tags equal these values. */
  where?: Readonly<Record<string, string>> | undefined;
  /** Time order; default ascending. */
  order?: 'asc' | 'desc' | undefined;
  /** At most this many rows. */
  limit?: number | undefined;
  /**
   * One row per time bucket instead of the stored rows (see `Aggregation`): the columns are the selected
   * fields the function can aggregate, no tags; `limit` and `order` count and order buckets.
   */
  aggregate?: Aggregation | undefined;
}

/**
 * A cell of a result row; `null` where a row has no value for a column. Integers come back as numbers
 * (InfluxDB's JSON answers carry them so), never as `bigint`.
 */
export type Cell = Exclude<FieldValue, bigint> | null;

/**
 * The answer to a query: the column names first (without `time`), then rows streamed.
 * `rows` yields `[time, ...cells]` with `cells` aligned to `columns`. It may be iterated once.
 */
export interface QueryResult {
  columns: readonly string[];
  rows: AsyncIterable<[bigint, ...Cell[]]>;
}

/**
 * Sink: a store of points with the InfluxDB data model (database → measurement → tags, fields, time).
 * Contract:
 * - `write` resolves only once the points are durable in the store; it throws `StorageError` only,
 *   with `retryable` telling whether the same call may succeed later. Writing the same point twice
 *   (same measurement, tags and time) keeps one point: replays are idempotent.
 * - A database is created on first write.
 * - `query` of a database or measurement that does not exist yields no columns and no rows.
 * - `stop` is idempotent and waits for writes in flight.
 */
export interface Sink {
  /** `influxdb` or `sqlite`, for log lines and /health. */
  readonly kind: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  write(database: string, points: readonly Point[]): Promise<void>;
  query(query: SeriesQuery): Promise<QueryResult>;
  /**
   * Every database of the store that holds data (InfluxDB's `_internal` left out), in name order: the
   * ISEMS API, the web view's overview and the realms' `max_databases` ask it.
   */
  databases(): Promise<string[]>;
  /** Measurement names of a database; empty when it does not exist. */
  measurements(database: string): Promise<string[]>;
  /** Field keys of a measurement (for `max_fields_per_measurement`); empty when it does not exist. */
  fieldKeys?(database: string, measurement: string): Promise<string[]>;
  /** True when the store answers right now. */
  ping(): Promise<boolean>;
  /**
   * Damage found in the store that needs an operator, one line each (e.g. a corrupt database file);
   * empty when none. Writes to a damaged database fail with a retryable `StorageError` marked `corrupt`.
   */
  damage?(): readonly string[];
}
