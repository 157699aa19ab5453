/**
 * Time-bucket aggregation of a query (`interval=1h&aggregate=mean` on an export): the rows of a range
 * grouped into buckets of `interval` nanoseconds aligned to the epoch (InfluxDB's `GROUP BY time()`
 * without an offset), one row per bucket that holds any value, timed at the bucket's start. Tags are not
 * columns of an aggregated result: a bucket aggregates every series of the measurement.
 */
export interface Aggregation {
  /** Bucket width, nanoseconds, at least one millisecond. */
  interval: bigint;
  fn: AggregateFunction;
}

/** The aggregate functions both stores compute alike (InfluxQL's names). */
export const AGGREGATE_FUNCTIONS = ['mean', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;

/** One of `AGGREGATE_FUNCTIONS`. */
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

/**
 * Functions that take numbers only: fields of other types (text, booleans) are not columns of their
 * result (InfluxDB refuses `mean()` of a string field; SQLite would read `true` as 1).
 */
export const NUMERIC_AGGREGATES: readonly AggregateFunction[] = ['mean', 'min', 'max', 'sum'];

/** True when `fn` can aggregate a field of this InfluxDB type (`float`, `integer`, `string`, `boolean`, `unsigned`). */
export function aggregates(fn: AggregateFunction, fieldType: string | undefined): boolean {
  if (!NUMERIC_AGGREGATES.includes(fn)) return true;
  return fieldType === 'float' || fieldType === 'integer' || fieldType === 'unsigned';
}

/** The start of the bucket holding `time` (floored, also before 1970, as InfluxDB aligns them). */
export function bucketStart(time: bigint, interval: bigint): bigint {
  const rest = time % interval;
  return rest < 0n ? time - rest - interval : time - rest;
}
