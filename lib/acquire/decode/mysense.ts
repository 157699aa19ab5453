import { DecodeError } from '../../core/errors.js';
import type { DocumentDecoder } from './decoder.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { inSeries, type SeriesReading } from './series.js';

/**
 * MySense (Behoud de Parel's air-quality kits) as its MQTT output channel publishes on
 * `IoS/<project>/<serial>` (`RPi/MyMQTTPUB.py`, `docs/mqtt.md`): one JSON telegram
 * `{"metadata": {…}, "data": {…}}`. `metadata` identifies the kit (`project`, `serial`, `label`,
 * `geolocation`, `fields`/`units`/`types` as lists, `extern_ip`, `version`, `apikey`); `data` holds the
 * values named in `fields`, `time` as UNIX seconds, `null` for a sensor without a value.
 *
 * Two readings, in the series MySense's own InfluxDB channel writes (`RPi/MyINFLUXPUB.py`, database
 * `<project>_<serial>`):
 * - `info`: the metadata; lists joined with `,` as MySense joins them. Left out: `version` and
 *   `intern_ip` (MySense does not archive them), `apikey` (a shared secret when one is set) and
 *   `project` and `serial` (the topic holds them: `IoS/{project}/{serial}` stores them as tags, and a
 *   field may not share a name with a tag). No time: stored at the receive time, as MySense does.
 * - `data`: the values (nested sensor groups are flattened by the sanitizer, `BME280.temp`), with the
 *   metadata's `label` and `geolocation` unless the values bring their own (MySense's rule); `time`
 *   is the reading's time.
 *
 * Which keys are tags is the app's `tags` (e.g. `label, geolocation`). A series with nothing to store
 * is left out; a document with nothing in either is refused. Pure; throws `DecodeError` only.
 */
export function mysenseReadings(document: Record<string, unknown>): SeriesReading[] {
  const metadata = document['metadata'];
  if (!isJsonObject(metadata)) throw wrongType('metadata', metadata, 'an object');
  const data = document['data'];
  if (!isJsonObject(data)) throw wrongType('data', data, 'an object');

  const info: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (key === 'project' || key === 'serial') {
      if (value !== null && typeof value !== 'string') throw wrongType(`metadata.${key}`, value, 'a string');
      continue;
    }
    if (NOT_STORED.includes(key)) continue;
    define(info, key, Array.isArray(value) ? joinList(`metadata.${key}`, value) : value);
  }

  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) define(values, key, value);
  const readings: SeriesReading[] = [];
  if (hasValue(info)) readings.push(inSeries(info, 'info'));
  if (hasValue(values)) {
    for (const key of FROM_METADATA) {
      const value = metadata[key];
      if (values[key] == null && value != null) define(values, key, value);
    }
    readings.push(inSeries(values, 'data'));
  }
  if (readings.length === 0)
    throw new DecodeError('MySense document: metadata and data hold nothing to store');
  return readings;
}

/** Metadata MySense does not archive (`MyINFLUXPUB.py`'s `omit`), and its API key. */
const NOT_STORED: readonly string[] = ['version', 'intern_ip', 'apikey'];
/** Metadata MySense adds to every data record (`MyINFLUXPUB.py`: label and geolocation tags). */
const FROM_METADATA = ['label', 'geolocation'] as const;

/** A metadata list as MySense writes it to InfluxDB: its items joined with `,`. */
function joinList(path: string, list: readonly unknown[]): string {
  return list
    .map((item, index) => {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
        return String(item);
      throw wrongType(`${path}[${index}]`, item, 'a string or a number');
    })
    .join(',');
}

/** True when some value of `reading` is not null (null is no value: the sanitizer drops it). */
function hasValue(reading: Record<string, unknown>): boolean {
  return Object.values(reading).some((value) => value !== null && value !== undefined);
}

/** Sets `key` as an own property: a key like `__proto__` would set the prototype by assignment. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function wrongType(path: string, value: unknown, expected: string): DecodeError {
  let what = describeJson(value);
  if (value === undefined) what = 'missing';
  else if (isJsonObject(value)) what = 'an object';
  return new DecodeError(`MySense document: ${path} is ${what}, not ${expected}`);
}

/**
 * MySense telegrams, recognised by their shape among the readings of a JSON data container or a
 * topic template's JSON payload: a `metadata` and a `data` key, at least one of them an object (a
 * TTN v2 uplink has `metadata` but no `data`; a reading with plain fields of those names stays a
 * reading).
 */
export const mysenseDecoder: DocumentDecoder = {
  name: 'mysense',
  takes: 'document',
  recognises: (document) =>
    Object.hasOwn(document, 'metadata') &&
    Object.hasOwn(document, 'data') &&
    (isJsonObject(document['metadata']) || isJsonObject(document['data'])),
  decodeDocument(document) {
    // For a caller that takes one reading per document: the values (the last series), or the info.
    const readings = mysenseReadings(document);
    return readings[readings.length - 1]!;
  },
  decodeSeries: mysenseReadings,
};
