import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder, SlotMatch } from './decoder.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { slotPayloadText } from './payload-text.js';

/** Tasmota's telemetry slots, as Kotori's layout gives them (FullTopic `<realm>/<net>/<gw>/<node>/%prefix%`). */
const SENSOR = 'SENSOR';
const STATE = 'STATE';

/** The one thing a Tasmota slot is: data (a measurement of the node). */
const DATA: SlotMatch = { kind: 'data' };

/** The timestamp field of both messages; read by the sanitize stage, zone-less, in the configured zone. */
const TIME = 'Time';

/** The values of a STATE message Kotori stores, and their field names (Kotori's `TasmotaStateDecoder`). */
const STATE_FIELDS: readonly { field: string; path: readonly [string] | readonly [string, string] }[] = [
  { field: 'Device.Vcc', path: ['Vcc'] },
  { field: 'Device.Sleep', path: ['Sleep'] },
  { field: 'Device.LoadAvg', path: ['LoadAvg'] },
  { field: 'Device.Wifi.Channel', path: ['Wifi', 'Channel'] },
  { field: 'Device.Wifi.RSSI', path: ['Wifi', 'RSSI'] },
  { field: 'Device.Wifi.LinkCount', path: ['Wifi', 'LinkCount'] },
];

/**
 * Tasmota telemetry (`tele/SENSOR`, `tele/STATE`), read as Kotori reads it (`kotori/daq/decoder/tasmota.py`).
 * Kotori takes any slot that ends in `SENSOR` or `STATE`; so does this decoder. It is registered after
 * Kotori's own slots, so a discrete value such as `data/SENSOR` stays a discrete value (Kotori would hand
 * it to this decoder and fail on it).
 *
 * `SENSOR`: one reading. `Time` is kept as it is (the sanitize stage reads it; a zone-less time in the
 * configured zone). Each top-level object is a sensor whose values are stored as `<sensor>.<name>`
 * (`DS18B20.Temperature`, `ENERGY.Total`); an entry that is itself an object is a DS18x20 probe of old
 * firmware (`"DS18x20": {"DS1": {"Type": …, "Address": …, "Temperature": …}}`): its values but `Type`
 * and `Address` are `<sensor>.<probe>.<name>`, and an object without `Type` is dropped, as Kotori does.
 * Top-level values that are not objects (`TempUnit`, `PressureUnit`, `Switch1: "ON"`) are units and
 * states, not measurements: dropped. Strings inside a sensor (`ENERGY.TotalStartTime`, `DS18B20-1.Id`)
 * are kept as Kotori keeps them (stored as strings unless numeric).
 *
 * `STATE`: only what Kotori stores: `Vcc`, `Sleep`, `LoadAvg` as `Device.<name>` and `Wifi.Channel`,
 * `Wifi.RSSI`, `Wifi.LinkCount` as `Device.Wifi.<name>`, plus `Time`; `POWER`, `Uptime`, `SleepMode`,
 * `Heap`, `SSId`, … are dropped. A value that is missing or null is left out.
 *
 * Pure; throws `DecodeError` naming the slot and the problem: a payload that is not JSON, not a JSON
 * object, holds no value to store, or has an object or array where STATE expects a value.
 */
export const tasmotaDecoder: SlotDecoder = {
  name: 'tasmota',
  takes: 'slot',
  slots: [`tele/${SENSOR}`, `tele/${STATE}`],
  // Kotori: `slot.endswith('SENSOR')`, `slot.endswith('STATE')`, case-sensitive.
  matchSlot: (slot) => (slot.endsWith(SENSOR) || slot.endsWith(STATE) ? DATA : undefined),
  decode(slot, _match, payload) {
    const message = tasmotaMessage(slot, payload);
    const reading = slot.endsWith(SENSOR) ? sensorReading(slot, message) : stateReading(slot, message);
    return { kind: 'data', readings: [reading] };
  },
};

function tasmotaMessage(slot: string, payload: Buffer): Record<string, unknown> {
  const text = slotPayloadText(slot, payload);
  const value = parseJsonPayload(text, `slot '${slot}': payload`);
  if (!isJsonObject(value)) {
    throw new DecodeError(`slot '${slot}': payload is ${describeJson(value)}, not a JSON object`);
  }
  return value;
}

function sensorReading(slot: string, message: Record<string, unknown>): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [sensor, values] of Object.entries(message)) {
    if (sensor === TIME || !isJsonObject(values)) continue;
    for (const [name, value] of Object.entries(values)) {
      if (!isJsonObject(value)) {
        entries.push([`${sensor}.${name}`, value]);
        continue;
      }
      // Kotori flattens a nested object only when it is a DS18x20 probe (it has `Type`).
      if (!Object.hasOwn(value, 'Type')) continue;
      for (const [key, item] of Object.entries(value)) {
        if (key !== 'Type' && key !== 'Address') entries.push([`${sensor}.${name}.${key}`, item]);
      }
    }
  }
  if (entries.length === 0) {
    throw new DecodeError(
      `slot '${slot}': payload holds no sensor values (no object of values besides '${TIME}')`,
    );
  }
  return withTime(message, entries);
}

function stateReading(slot: string, message: Record<string, unknown>): Record<string, unknown> {
  const wifi = message['Wifi'];
  if (Object.hasOwn(message, 'Wifi') && !isJsonObject(wifi)) {
    throw new DecodeError(`slot '${slot}': 'Wifi' is ${describeJson(wifi)}, not an object`);
  }
  const entries: [string, unknown][] = [];
  for (const { field, path } of STATE_FIELDS) {
    const [first, second] = path;
    const value =
      second === undefined ? message[first] : (wifi as Record<string, unknown> | undefined)?.[second];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') {
      const shape = Array.isArray(value) ? 'an array' : 'an object';
      throw new DecodeError(`slot '${slot}': '${path.join('.')}' is ${shape}, not a value`);
    }
    entries.push([field, value]);
  }
  if (entries.length === 0) {
    const names = STATE_FIELDS.map(({ path }) => path.join('.')).join(', ');
    throw new DecodeError(`slot '${slot}': payload holds none of ${names}`);
  }
  return withTime(message, entries);
}

/** The reading: `Time` first (when the message has one), then the values; a name given twice keeps its last value. */
function withTime(message: Record<string, unknown>, entries: [string, unknown][]): Record<string, unknown> {
  const head: [string, unknown][] = Object.hasOwn(message, TIME) ? [[TIME, message[TIME]]] : [];
  // Object.fromEntries defines own properties, so a sensor named `__proto__` stays a name.
  return Object.fromEntries([...head, ...entries]);
}
