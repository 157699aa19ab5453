import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder, SlotMatch } from './decoder.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { slotPayloadText } from './payload-text.js';

/** Slot suffixes of a JSON data container (Kotori's `TopicPatterns.data`). */
const DATA_CONTAINERS = [
  'data.json', // the regular one
  'message-json', // legacy v1
  'data/__json__', // Homie
  'loop', // WeeWX
];

/** Slot suffixes of a JSON event (Kotori's `TopicPatterns.event`). */
const EVENT_CONTAINERS = ['event.json', 'event/__json__'];

/**
 * Kotori's JSON data containers: `data.json`, `message-json` (legacy), `data/__json__` (Homie),
 * `loop` (WeeWX). The payload is a JSON object (one reading) or a JSON array of objects (bulk, in
 * order); numbers keep every digit (see `parseJsonExact`). A container matches when the slot is its
 * name or ends in `/<name>`.
 */
export const kotoriJsonDecoder: SlotDecoder = jsonContainerDecoder('kotori-json', 'data', DATA_CONTAINERS);

/**
 * Kotori's JSON events: `event.json`, `event/__json__` (Homie); payload as for `kotoriJsonDecoder`.
 * Registered after the discrete values, as Kotori checks them (`data/event.json` is a field).
 */
export const kotoriJsonEventDecoder: SlotDecoder = jsonContainerDecoder(
  'kotori-json-event',
  'event',
  EVENT_CONTAINERS,
);

function jsonContainerDecoder(name: string, kind: 'data' | 'event', containers: string[]): SlotDecoder {
  const match: SlotMatch = { kind };
  return {
    name,
    takes: 'slot',
    slots: containers,
    matchSlot: (slot) => (containers.some((container) => hasSuffix(slot, container)) ? match : undefined),
    decode: (slot, taken, payload) => ({ kind: taken.kind, readings: jsonReadings(slot, payload) }),
  };
}

function hasSuffix(slot: string, name: string): boolean {
  return slot === name || slot.endsWith(`/${name}`);
}

function jsonReadings(slot: string, payload: Buffer): Record<string, unknown>[] {
  const text = slotPayloadText(slot, payload);
  const value = parseJsonPayload(text, `slot '${slot}': payload`);
  if (isJsonObject(value)) return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) throw new DecodeError(`slot '${slot}': payload is an empty JSON array`);
    return value.map((item, index) => {
      if (!isJsonObject(item)) {
        throw new DecodeError(
          `slot '${slot}': item ${index} of the JSON array is ${describeJson(item)}, not an object`,
        );
      }
      return item;
    });
  }
  throw new DecodeError(
    `slot '${slot}': payload is ${describeJson(value)}, not a JSON object or array of objects`,
  );
}
