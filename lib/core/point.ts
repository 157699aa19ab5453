/**
 * A field value as stored. A `number` is a float (Kotori's rule: JSON cannot tell 42 from 42.0); a
 * `bigint` is a signed 64-bit integer, only where the sender said so (line protocol's `42i`).
 */
export type FieldValue = number | bigint | string | boolean;

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
