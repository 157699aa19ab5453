import { DecodeError } from '../../core/errors.js';
import type { DocumentDecoder } from './decoder.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { parseNumericText } from './numeric-text.js';

/**
 * The Things Stack / The Things Network v3 uplink message, as its webhooks post it (JSON format):
 * `{"end_device_ids": {"device_id"}, "received_at", "uplink_message": {"decoded_payload", "f_cnt",
 * "settings", "rx_metadata": [{"gateway_ids": {"gateway_id"}, "rssi", "snr"}]}}`
 * (https://www.thethingsindustries.com/docs/the-things-stack/concepts/data-formats/#uplink-messages).
 *
 * One reading with Kotori's names (`kotori/daq/decoder/tts_ttn.py`): the fields of `decoded_payload`;
 * `device_id`; `timestamp` from `received_at`; `bw` (kHz), `sf`, `freq` (MHz) from the LoRa settings;
 * `counter` from `f_cnt`; `gtw_count` and per gateway `gw_<gateway>_rssi` and `gw_<gateway>_snr`.
 * Where Kotori would fail on a part the stack leaves out (protobuf JSON omits zero values, FSK has no
 * LoRa settings) the part is left out; a part of the wrong type is a `DecodeError` naming it.
 */
export function ttnUplinkReading(document: Record<string, unknown>): Record<string, unknown> {
  const uplink = document['uplink_message'];
  if (!isJsonObject(uplink)) throw wrongType('uplink_message', uplink, 'an object');
  const decoded = uplink['decoded_payload'];
  if (decoded === undefined) {
    throw new DecodeError(
      'TTN uplink has no uplink_message.decoded_payload (the application needs a payload formatter)',
    );
  }
  if (!isJsonObject(decoded)) throw wrongType('uplink_message.decoded_payload', decoded, 'an object');
  if (Object.keys(decoded).length === 0) {
    throw new DecodeError('TTN uplink has an empty uplink_message.decoded_payload');
  }

  const reading: Record<string, unknown> = {};
  const ids = document['end_device_ids'];
  if (ids !== undefined) {
    if (!isJsonObject(ids)) throw wrongType('end_device_ids', ids, 'an object');
    const deviceId = ids['device_id'];
    if (deviceId !== undefined) reading['device_id'] = text('end_device_ids.device_id', deviceId);
  }
  const receivedAt = document['received_at'];
  if (receivedAt !== undefined) reading['timestamp'] = text('received_at', receivedAt);
  // Object.assign defines what `decoded` owns; a key like `__proto__` would set the prototype instead.
  for (const [key, value] of Object.entries(decoded)) {
    Object.defineProperty(reading, key, { value, enumerable: true, writable: true, configurable: true });
  }

  const settings = uplink['settings'];
  if (settings !== undefined) {
    if (!isJsonObject(settings)) throw wrongType('uplink_message.settings', settings, 'an object');
    const lora = loraSettings(settings['data_rate']);
    if (lora !== undefined) {
      const bandwidth = lora['bandwidth'];
      if (bandwidth !== undefined) {
        reading['bw'] = number('uplink_message.settings.data_rate.lora.bandwidth', bandwidth) / 1000;
      }
      const spreading = lora['spreading_factor'];
      if (spreading !== undefined) {
        reading['sf'] = number('uplink_message.settings.data_rate.lora.spreading_factor', spreading);
      }
    }
    const frequency = settings['frequency'];
    // uint64 values are strings in protobuf JSON: `"868500000"` (Hz).
    if (frequency !== undefined)
      reading['freq'] = number('uplink_message.settings.frequency', frequency) / 1e6;
  }
  const counter = uplink['f_cnt'];
  if (counter !== undefined) reading['counter'] = number('uplink_message.f_cnt', counter);

  const gateways = uplink['rx_metadata'];
  if (gateways !== undefined) {
    if (!Array.isArray(gateways)) throw wrongType('uplink_message.rx_metadata', gateways, 'an array');
    reading['gtw_count'] = gateways.length;
    gateways.forEach((gateway: unknown, index) => {
      const where = `uplink_message.rx_metadata[${index}]`;
      if (!isJsonObject(gateway)) throw wrongType(where, gateway, 'an object');
      const gatewayIds = gateway['gateway_ids'];
      if (!isJsonObject(gatewayIds)) throw wrongType(`${where}.gateway_ids`, gatewayIds, 'an object');
      const id = text(`${where}.gateway_ids.gateway_id`, gatewayIds['gateway_id']);
      if (id === '') throw new DecodeError(`TTN uplink: ${where}.gateway_ids.gateway_id is empty`);
      for (const metric of ['rssi', 'snr'] as const) {
        const value = gateway[metric];
        if (value !== undefined) reading[`gw_${id}_${metric}`] = number(`${where}.${metric}`, value);
      }
    });
  }
  return reading;
}

/** `settings.data_rate.lora`, or undefined for another modulation (FSK, LR-FHSS). */
function loraSettings(dataRate: unknown): Record<string, unknown> | undefined {
  if (dataRate === undefined) return undefined;
  if (!isJsonObject(dataRate)) throw wrongType('uplink_message.settings.data_rate', dataRate, 'an object');
  const lora = dataRate['lora'];
  if (lora === undefined) return undefined;
  if (!isJsonObject(lora)) throw wrongType('uplink_message.settings.data_rate.lora', lora, 'an object');
  return lora;
}

function number(path: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const parsed = parseNumericText(value);
    if (parsed !== undefined && Number.isFinite(parsed)) return parsed;
    throw new DecodeError(`TTN uplink: ${path} is '${value.slice(0, 40)}', not a number`);
  }
  throw wrongType(path, value, 'a number');
}

function text(path: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw wrongType(path, value, 'a string');
}

function wrongType(path: string, value: unknown, expected: string): DecodeError {
  let what = describeJson(value);
  if (value === undefined) what = 'missing';
  else if (isJsonObject(value)) what = 'an object';
  return new DecodeError(`TTN uplink: ${path} is ${what}, not ${expected}`);
}

/**
 * TTN v3 uplinks (see `ttnUplinkReading`), recognised as Kotori does by their `uplink_message`: here an
 * object under that name, so a plain reading with a field `uplink_message` stays a reading.
 */
export const ttnDecoder: DocumentDecoder = {
  name: 'ttn',
  takes: 'document',
  recognises: (document) => isJsonObject(document['uplink_message']),
  decodeDocument: ttnUplinkReading,
};
