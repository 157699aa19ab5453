import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder, SlotMatch } from './decoder.js';
import { jsonContainerReadings, slotEndsWith, slotPrefix } from './json-container.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { parseNumericText } from './numeric-text.js';

/** The slot WeeWX's MQTT uploader publishes its loop packets on (Kotori's `TopicPatterns.data`). */
const LOOP_SLOT = 'loop';
/** WeeWX's timestamp: the packet's time, epoch seconds. */
const DATE_TIME = 'dateTime';

const DATA: SlotMatch = { kind: 'data' };

/**
 * WeeWX loop packets, as its MQTT uploader publishes them on `…/loop` and Kotori stores them: one JSON
 * object per packet, every value as text (`"outTemp_C": "3.55555555556"`, `"usUnits": "16.0"`), each
 * a field under its WeeWX name (numeric text becomes a number in the next stage). `dateTime`, epoch
 * seconds (`"1492467300.0"`), is the reading's time (Kotori's timestamp fields: `time`, `datetime`,
 * `Time`, `dateTime`, `timestamp`, by magnitude, so `1492467300.0` is 2017-04-17T22:15:00Z). An array
 * of packets is several readings. A `dateTime` that is not a number is refused here, naming it, rather
 * than stored at another time. Pure; throws `DecodeError` only.
 */
export const weewxDecoder: SlotDecoder = {
  name: 'weewx',
  takes: 'slot',
  slots: [LOOP_SLOT],
  matchSlot: (slot) => (slotEndsWith(slot, LOOP_SLOT) ? DATA : undefined),
  decode: (slot, match, payload) => {
    const readings = jsonContainerReadings(slot, payload, 'WeeWX loop packet');
    readings.forEach((packet, index) => {
      const stamp = packet[DATE_TIME];
      // No value is no timestamp (Kotori skips empty ones): the receive time then.
      if (stamp === undefined || stamp === null || stamp === '') return;
      const numeric =
        (typeof stamp === 'number' && Number.isFinite(stamp)) ||
        typeof stamp === 'bigint' ||
        (typeof stamp === 'string' && Number.isFinite(parseNumericText(stamp) ?? Number.NaN));
      if (!numeric) {
        const which = readings.length > 1 ? ` (packet ${index})` : '';
        let shown = isJsonObject(stamp) ? 'an object' : describeJson(stamp);
        if (typeof stamp === 'string') shown = `'${stamp.slice(0, 40)}'`;
        throw new DecodeError(
          `${slotPrefix(slot)}WeeWX loop packet${which}: dateTime is ${shown}, not epoch seconds`,
        );
      }
    });
    return { kind: match.kind, readings };
  },
};
