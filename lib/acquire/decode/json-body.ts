import { parseJsonExact } from '../acquire/decode/json-exact.js';
import { describeJson, isJsonObject } from '../acquire/decode/json-shape.js';
import { DecodeError } from '../core/errors.js';
import type { BodyLine } from './body.js';
import { jsonErrorOffset } from './json-error-offset.js';

/** Readings decoded from a request body, with where each came from (for error messages). */
export interface BodyReadings {
  readings: Record<string, unknown>[];
  /** Where reading `index` is in the body: `item 3`, `line 7`. */
  where(index: number): string;
  /** Notes for the client, sent before `Received #N readings` (e.g. a CSV header taken). */
  messages: string[];
}

/** Ecowitt stations send their secret `PASSKEY` with every reading; it is never stored. */
const PASSKEY = /^passkey$/i;

/** Drops Ecowitt's `PASSKEY` (any case) from a reading, in place. */
export function removePasskey(reading: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(reading)) if (PASSKEY.test(key)) delete reading[key];
  return reading;
}

/**
 * `application/json`: one object, or an array of objects (bulk; each may carry its own timestamp).
 * Values stay as JSON gave them; the sanitize stage reads them. `DecodeError` says where the body is bad.
 */
export function jsonReadings(text: string): BodyReadings {
  if (text.trim() === '') throw new DecodeError('request body is empty');
  const value = parseJson(text, 'request body');
  if (isJsonObject(value)) return single(removePasskey(value));
  if (Array.isArray(value)) {
    if (value.length === 0) throw new DecodeError('request body is an empty JSON array');
    const readings = value.map((item, index) => {
      if (!isJsonObject(item))
        throw new DecodeError(`item ${index + 1} of the JSON array is ${describeJson(item)}, not an object`);
      return removePasskey(item);
    });
    return { readings, where: (index) => `item ${index + 1}`, messages: [] };
  }
  throw new DecodeError(`request body is ${describeJson(value)}, not a JSON object or an array of objects`);
}

/**
 * `application/x-www-form-urlencoded`: one reading, `a=1&b=2`. The first value of a repeated name counts
 * (as in Kotori); an empty value is no value. Values arrive as text and are read as numbers by the
 * same rule as numeric JSON strings.
 */
export function formReadings(text: string): BodyReadings {
  if (text.trim() === '') throw new DecodeError('request body is empty');
  const entries = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text.trim())) {
    if (key === '' || value === '' || entries.has(key)) continue;
    entries.set(key, value);
  }
  // fromEntries defines own properties: a name like `__proto__` stays a name.
  const reading: Record<string, unknown> = Object.fromEntries(entries);
  removePasskey(reading);
  if (Object.keys(reading).length === 0)
    throw new DecodeError('form body holds no name=value pair with a value');
  return single(reading);
}

/** One reading of a body read line by line, with the number of the line it came from. */
export interface BodyItem {
  reading: Record<string, unknown>;
  line: number;
}

/**
 * `application/x-ndjson`: one JSON object per line, yielded while the body arrives; blank lines are
 * skipped. `DecodeError` naming the line for a line that is not a JSON object, and for a body without one.
 */
export async function* ndjsonItems(lines: AsyncIterable<BodyLine>): AsyncGenerator<BodyItem> {
  let any = false;
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    const value = parseJson(line.text, `line ${line.number}`);
    if (!isJsonObject(value))
      throw new DecodeError(`line ${line.number} is ${describeJson(value)}, not a JSON object`);
    any = true;
    yield { reading: removePasskey(value), line: line.number };
  }
  if (!any) throw new DecodeError('request body is empty');
}

/** `application/x-ndjson` as a whole (see `ndjsonItems`). */
export async function ndjsonReadings(lines: AsyncIterable<BodyLine>): Promise<BodyReadings> {
  const readings: Record<string, unknown>[] = [];
  const numbers: number[] = [];
  for await (const item of ndjsonItems(lines)) {
    readings.push(item.reading);
    numbers.push(item.line);
  }
  return { readings, where: (index) => `line ${numbers[index] ?? '?'}`, messages: [] };
}

function single(reading: Record<string, unknown>): BodyReadings {
  return { readings: [reading], where: () => 'the reading', messages: [] };
}

/** `parseJsonExact` (long numbers keep their digits) with the error placed as line and column. */
function parseJson(text: string, what: string): unknown {
  try {
    return parseJsonExact(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = jsonErrorOffset(text);
    let place = '';
    if (at !== undefined) {
      const before = text.slice(0, at);
      const line = before.split('\n').length;
      const column = at - before.lastIndexOf('\n');
      place = what === 'request body' ? ` at line ${line}, column ${column}` : ` at column ${column}`;
    }
    // V8's message quotes the input; the place says enough and keeps the answer short.
    const reason = message.length > 120 ? `${message.slice(0, 120)}…` : message;
    throw new DecodeError(`${what} is not valid JSON${place}: ${reason}`);
  }
}
