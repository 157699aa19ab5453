/** A field value as stored. Numbers are written as floats unless the sink is told otherwise. */
export type FieldValue = number | string | boolean;

/**
 * One point of the InfluxDB data model, shared by every sink.
 * `time` is integer nanoseconds since the Unix epoch: a BigInt, never a float that loses digits.
 */
export interface Point {
  measurement: string;
  tags: Readonly<Record<string, string>>;
  fields: Readonly<Record<string, FieldValue>>;
  time: bigint;
}
