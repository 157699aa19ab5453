import type { SlotDecoder, SlotMatch } from './decoder.js';
import { jsonContainerReadings, slotEndsWith } from './json-container.js';

/**
 * Slot suffixes of a JSON data container (Kotori's `TopicPatterns.data`); Homie's `data/__json__` and
 * WeeWX's `loop` are their vendors' own decoders (`decode/homie.ts`, `decode/weewx.ts`).
 */
const DATA_CONTAINERS = [
  'data.json', // the regular one
  'message-json', // legacy v1
];

/** Slot suffixes of a JSON event (Kotori's `TopicPatterns.event`; Homie's `event/__json__` is `homie`). */
const EVENT_CONTAINERS = ['event.json'];

/**
 * Kotori's JSON data containers: `data.json`, `message-json` (legacy). The payload is a JSON object (one reading) or a JSON array of objects (bulk, in
 * order); numbers keep every digit (see `parseJsonExact`). A container matches when the slot is its
 * name or ends in `/<name>`.
 */
export const kotoriJsonDecoder: SlotDecoder = jsonContainerDecoder('kotori-json', 'data', DATA_CONTAINERS);

/**
 * Kotori's JSON events: `event.json`; payload as for `kotoriJsonDecoder`.
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
    matchSlot: (slot) => (containers.some((container) => slotEndsWith(slot, container)) ? match : undefined),
    decode: (slot, taken, payload) => ({ kind: taken.kind, readings: jsonContainerReadings(slot, payload) }),
  };
}
