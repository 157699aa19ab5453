import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder, SlotMatch } from './decoder.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { parseNumericText } from './numeric-text.js';
import { slotPayloadText } from './payload-text.js';

/** Kotori takes every slot ending in this as airrohr's (`DecoderManager.probe`). */
const AIRROHR_SLOT = 'airrohr.json';

/**
 * The JSON the airrohr firmware (Sensor.Community, formerly luftdaten.info) posts to a custom API:
 * `{"esp8266id": …, "software_version": …, "sensordatavalues": [{"value_type": "SDS_P1", "value":
 * "35.67"}, …]}`. One reading, a field per `value_type` (Kotori's `AirrohrDecoder`); the device id and
 * firmware version are not stored, as in Kotori. Values are text in the firmware's JSON: numeric ones
 * become numbers, others stay text (as Kotori stores them). Pure; throws `DecodeError` naming the part
 * that is wrong.
 */
export function airrohrReading(slot: string, payload: Buffer): Record<string, unknown> {
  const text = slotPayloadText(slot, payload);
  if (text.trim() === '') throw new DecodeError(`slot '${slot}': airrohr payload is empty`);
  const document = parseJsonPayload(text, `slot '${slot}': airrohr payload`);
  if (!isJsonObject(document)) {
    throw new DecodeError(`slot '${slot}': airrohr payload is ${what(document)}, not a JSON object`);
  }
  return airrohrDocumentReading(document, `slot '${slot}': airrohr`);
}

/**
 * The reading of an airrohr document already parsed (see `airrohrReading`): a field per `value_type`.
 * `where` starts each message (`slot 'custom/airrohr.json': airrohr`). Pure; throws `DecodeError` only.
 */
export function airrohrDocumentReading(
  document: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  const values = document['sensordatavalues'];
  if (values === undefined) throw new DecodeError(`${where} payload has no sensordatavalues`);
  if (!Array.isArray(values)) {
    throw new DecodeError(`${where} sensordatavalues is ${what(values)}, not an array`);
  }
  if (values.length === 0) throw new DecodeError(`${where} sensordatavalues is empty`);

  const reading: Record<string, unknown> = {};
  values.forEach((item: unknown, index) => {
    const at = `${where} sensordatavalues[${index}]`;
    if (!isJsonObject(item)) throw new DecodeError(`${at} is ${what(item)}, not an object`);
    const name = item['value_type'];
    if (typeof name !== 'string') {
      throw new DecodeError(`${at}: value_type is ${what(name)}, not a string`);
    }
    if (name.trim() === '') throw new DecodeError(`${at}: value_type is empty`);
    if (Object.hasOwn(reading, name)) throw new DecodeError(`${at}: value_type '${name}' is given twice`);
    const value = item['value'];
    let field: unknown;
    if (typeof value === 'string') field = parseNumericText(value) ?? value;
    else if (typeof value === 'number' || typeof value === 'bigint') field = value;
    else {
      throw new DecodeError(`${at}: value of '${name}' is ${what(value)}, not a number or text`);
    }
    // defineProperty: a value_type like `__proto__` stays a name.
    Object.defineProperty(reading, name, {
      value: field,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return reading;
}

/** What a JSON value is, for messages: `missing`, `an object`, `a string`, … */
function what(value: unknown): string {
  if (value === undefined) return 'missing';
  return isJsonObject(value) ? 'an object' : describeJson(value);
}

const DATA: SlotMatch = { kind: 'data' };

/**
 * airrohr uploads (see `airrohrReading`) on slots ending in `airrohr.json`, as Kotori takes them: MQTT
 * `…/custom/airrohr.json`, and HTTP POSTs to `…/custom/airrohr` (Kotori's `http-api-custom` forwarder).
 */
export const airrohrDecoder: SlotDecoder = {
  name: 'airrohr',
  takes: 'slot',
  slots: [`custom/${AIRROHR_SLOT}`],
  takesBodies: true,
  matchSlot: (slot) => (slot.endsWith(AIRROHR_SLOT) ? DATA : undefined),
  decode: (slot, match, payload) => ({ kind: match.kind, readings: [airrohrReading(slot, payload)] }),
};
