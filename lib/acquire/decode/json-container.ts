import { DecodeError } from '../../core/errors.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { slotPayloadText } from './payload-text.js';

/**
 * The readings of a JSON container payload, as Kotori reads `data.json`, Homie's `data/__json__` and
 * WeeWX's `loop`: a JSON object (one reading) or a JSON array of objects (bulk, in order); numbers keep
 * every digit (see `parseJsonExact`). `what` names the payload in messages (`payload`, `WeeWX loop
 * packet`). Pure; throws `DecodeError` naming the problem.
 */
export function jsonContainerReadings(
  slot: string,
  payload: Buffer,
  what = 'payload',
): Record<string, unknown>[] {
  const text = slotPayloadText(slot, payload);
  const at = slotPrefix(slot);
  const value = parseJsonPayload(text, `${at}${what}`);
  if (isJsonObject(value)) return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) throw new DecodeError(`${at}${what} is an empty JSON array`);
    return value.map((item, index) => {
      if (!isJsonObject(item)) {
        throw new DecodeError(`${at}item ${index} of the JSON array is ${describeJson(item)}, not an object`);
      }
      return item;
    });
  }
  throw new DecodeError(`${at}${what} is ${describeJson(value)}, not a JSON object or array of objects`);
}

/** True when `slot` is `name` or ends in `/<name>` (how Kotori's container suffixes match). */
export function slotEndsWith(slot: string, name: string): boolean {
  return slot === name || slot.endsWith(`/${name}`);
}

/** `slot '<slot>': ` to start a message, or nothing for the empty slot of a topic template without `{slot}`. */
export function slotPrefix(slot: string): string {
  return slot === '' ? '' : `slot '${slot}': `;
}
