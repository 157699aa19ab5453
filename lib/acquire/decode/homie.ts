import type { SlotDecoder, SlotMatch } from './decoder.js';
import { jsonContainerReadings, slotEndsWith } from './json-container.js';

/** Homie's JSON data slot (Kotori's `TopicPatterns.data`). */
const DATA_SLOT = 'data/__json__';
/** Homie's JSON event slot (Kotori's `TopicPatterns.event`, »Homie support«). */
const EVENT_SLOT = 'event/__json__';

const DATA: SlotMatch = { kind: 'data' };
const EVENT: SlotMatch = { kind: 'event' };

/**
 * Homie devices publishing a node's properties as one JSON object, as Kotori takes them: on
 * `…/data/__json__` readings (`{"temperature": 42.84, "humidity": 83.1}` → fields `temperature`,
 * `humidity`), on `…/event/__json__` events. A JSON object is one reading, an array of objects several;
 * the time is the reading's own (`time`, `timestamp`, … as for every JSON reading) or the receive time.
 * Asked right after Kotori's `data.json`, before discrete values, as Kotori's patterns check them
 * (`data/__json__` is a container, not a field named `__json__`). With `decoder = homie` every payload
 * is such an object; a slot other than the event slot holds readings. Pure; throws `DecodeError` only.
 */
export const homieDecoder: SlotDecoder = {
  name: 'homie',
  takes: 'slot',
  slots: [DATA_SLOT, EVENT_SLOT],
  matchSlot: (slot) => {
    if (slotEndsWith(slot, DATA_SLOT)) return DATA;
    if (slotEndsWith(slot, EVENT_SLOT)) return EVENT;
    return undefined;
  },
  decode: (slot, match, payload) => ({
    kind: match.kind,
    readings: jsonContainerReadings(slot, payload, 'Homie payload'),
  }),
};
