import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder } from './decoder.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { parseNumericText } from './numeric-text.js';
import { slotPayloadText } from './payload-text.js';

/**
 * Plain values, as Telegraf's `value` data format sends them (`sensors/livingroom/temperature` ←
 * `21.5`): the payload is one value, stored as one field named by the topic (`match.field`: a
 * template's `{field}` or the topic's last level). Only apps with a topic template use it: it is asked
 * after every other slot decoder, and never for mqttkit or basic, whose unknown slots stay errors.
 *
 * - a number as Kotori's `float()` reads it (`21.5`, ` 42 `, `1e3`) → that number; NaN and ±Infinity
 *   are refused (no value to store);
 * - `true` / `false` → a boolean (stored as 1 / 0, as Kotori stores booleans);
 * - a payload starting with `{` or `[` → a JSON object (one reading) or an array of objects (bulk), as
 *   `data.json` takes them: a device publishing JSON documents under a template (MySense);
 * - any other text → that text, trimmed (stored as a string field); `null` is refused.
 *
 * Pure; throws `DecodeError` naming the slot (or field) and the problem.
 */
export const plainValueDecoder: SlotDecoder = {
  name: 'plain-value',
  takes: 'slot',
  slots: ['<field>'],
  matchSlot(slot) {
    const field = slot.slice(slot.lastIndexOf('/') + 1);
    return field === '' ? undefined : { kind: 'data', field };
  },
  decode(slot, match, payload) {
    const where = slot === '' ? `field '${match.field ?? ''}'` : `slot '${slot}'`;
    const field = match.field;
    if (field === undefined || field === '')
      throw new DecodeError(`${where}: no field name for a plain value`);
    const text = slotPayloadText(slot === '' ? field : slot, payload).trim();
    if (text === '') throw new DecodeError(`${where}: empty payload`);
    if (text.startsWith('{') || text.startsWith('['))
      return { kind: 'data', readings: jsonReadings(where, text) };
    if (text === 'null') throw new DecodeError(`${where}: payload is null, not a value`);
    if (text === 'true' || text === 'false')
      return { kind: 'data', readings: [{ [field]: text === 'true' }] };
    const number = parseNumericText(text);
    if (number !== undefined) {
      if (!Number.isFinite(number))
        throw new DecodeError(`${where}: payload '${clip(text)}' is not a finite number`);
      return { kind: 'data', readings: [{ [field]: number }] };
    }
    return { kind: 'data', readings: [{ [field]: text }] };
  },
};

function jsonReadings(where: string, text: string): Record<string, unknown>[] {
  const value = parseJsonPayload(text, `${where}: payload`);
  if (isJsonObject(value)) return [value];
  if (!Array.isArray(value)) {
    throw new DecodeError(
      `${where}: payload is ${describeJson(value)}, not a JSON object or array of objects`,
    );
  }
  if (value.length === 0) throw new DecodeError(`${where}: payload is an empty JSON array`);
  const index = value.findIndex((item) => !isJsonObject(item));
  if (index !== -1) {
    throw new DecodeError(
      `${where}: item ${index} of the JSON array is ${describeJson(value[index])}, not an object`,
    );
  }
  return value as Record<string, unknown>[];
}

/** Payload text in an error message: short enough for a log line and the error topic. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
