import { DecodeError } from '../../core/errors.js';
import type { DecodedReadings, SlotDecoder, SlotMatch } from './decoder.js';
import { carriesErrors } from './error-slot.js';
import { SLOT_DECODERS, TEMPLATE_SLOT_DECODERS } from './registry.js';

/**
 * What a slot's payload holds. `readings` has one object per reading: a JSON object is a
 * one-element array, a JSON array of objects (bulk) keeps its order. Values are raw JSON values;
 * sanitizing them (numbers, flattening, tags, time) is the next stage's job.
 */
export type DecodedSlot = DecodedReadings | { kind: 'ignore'; reason: string };

/**
 * Classify a slot and decode its payload. Pure; throws `DecodeError` only.
 *
 * Checked in Kotori's order:
 * 1. a slot ending in `error.json` → ignore: daqd publishes its own errors there (loop protection);
 * 2. the slot decoders of `decode/registry.ts`, in their order: data containers `data.json`,
 *    `message-json`, `data/__json__`, `loop` → JSON object or array of objects; discrete
 *    `data/<field>` or `measure/<field>` → `{ <field>: <number> }` from a numeric payload; events
 *    `event.json`, `event/__json__` → JSON object or array of objects;
 * 3. anything else → a `DecodeError` naming the slots daqd knows (the sender gets it on error.json).
 *
 * The payload of an ignored slot is not looked at.
 */
export function decodeSlot(slot: string, payload: Buffer): DecodedSlot {
  return decodeSlotPayload(slot, classifySlot(slot), payload);
}

/**
 * What a slot holds, decided from its name alone (the first half of `decodeSlot`): the decoder that
 * takes it and as what, an error report, or a slot daqd does not know.
 * Pure. Slots repeat with every message of a node, so a caller may keep this per topic.
 */
export type SlotClass =
  | { kind: 'decoder'; decoder: SlotDecoder; match: SlotMatch }
  | { kind: 'ignore'; reason: string }
  | { kind: 'unknown'; slot: string };

/** The slots daqd takes, for the message that answers an unknown one. */
export const KNOWN_SLOTS: readonly string[] = SLOT_DECODERS.flatMap((decoder) => decoder.slots);

/**
 * Classifies a slot by name in Kotori's order (see `decodeSlot`). Pure; never throws.
 *
 * `field` is given for topics read by a topic template only (`Topology.field`): then an empty slot (a
 * template without `{slot}`) goes straight to the template decoders (plain values), and a slot no
 * other decoder takes goes to them too, with `field` as the name of the value.
 */
export function classifySlot(slot: string, field?: string): SlotClass {
  if (carriesErrors(slot)) {
    return { kind: 'ignore', reason: `slot '${slot}' carries error reports` };
  }
  if (field === undefined || slot !== '') {
    for (const decoder of SLOT_DECODERS) {
      const match = decoder.matchSlot(slot);
      if (match !== undefined) return { kind: 'decoder', decoder, match };
    }
  }
  if (field !== undefined) {
    // The field names the value, whatever the slot (the decoder's own match reads it from a slot).
    for (const decoder of TEMPLATE_SLOT_DECODERS) {
      if (decoder.matchSlot(field) !== undefined) {
        return { kind: 'decoder', decoder, match: { kind: 'data', field } };
      }
    }
  }
  return { kind: 'unknown', slot };
}

/** Decodes the payload of a slot classified by `classifySlot` (the second half of `decodeSlot`). */
export function decodeSlotPayload(slot: string, slotClass: SlotClass, payload: Buffer): DecodedSlot {
  if (slotClass.kind === 'ignore') return slotClass;
  if (slotClass.kind === 'unknown') {
    throw new DecodeError(`slot '${slot}' is not a known slot (known: ${KNOWN_SLOTS.join(', ')})`);
  }
  return slotClass.decoder.decode(slot, slotClass.match, payload);
}
