import { DecodeError } from '../../core/errors.js';
import { type BodyReadings, singleReading, wholeBody } from './body-readings.js';
import type { BodyDecoder } from './decoder.js';
import { removePasskey } from './ecowitt-passkey.js';
import { bodyUtf8 } from './text-lines.js';

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
  return singleReading(reading);
}

/** Form bodies (see `formReadings`), as Ecowitt stations and HTML forms post them. */
export const formDecoder: BodyDecoder = {
  name: 'form',
  takes: 'body',
  contentTypes: ['application/x-www-form-urlencoded'],
  decodeBody: async (body) => wholeBody(formReadings(bodyUtf8(body))),
};
