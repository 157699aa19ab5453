import { DecodeError } from '../../core/errors.js';
import { type BodyReadings, singleReading, wholeBody } from './body-readings.js';
import type { BodyDecoder } from './decoder.js';
import { removePasskey } from './ecowitt-passkey.js';
import { parseJsonPlaced } from './json-placed.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { bodyUtf8 } from './text-lines.js';

/**
 * `application/json`: one object, or an array of objects (bulk; each may carry its own timestamp).
 * Values stay as JSON gave them; the sanitize stage reads them. `DecodeError` says where the body is bad.
 */
export function jsonReadings(text: string): BodyReadings {
  if (text.trim() === '') throw new DecodeError('request body is empty');
  const value = parseJsonPlaced(text, 'request body');
  if (isJsonObject(value)) return singleReading(removePasskey(value));
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

/** JSON request bodies (see `jsonReadings`), parsed once and kept. */
export const jsonBodyDecoder: BodyDecoder = {
  name: 'json-body',
  takes: 'body',
  contentTypes: ['application/json', 'text/json'],
  decodeBody: async (body) => wholeBody(jsonReadings(bodyUtf8(body))),
};
