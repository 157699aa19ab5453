import { DecodeError } from '../../core/errors.js';
import { carriesErrors } from './error-slot.js';
import { parseJsonExact } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';

/**
 * What a slot's payload holds. `readings` has one object per reading: a JSON object is a
 * one-element array, a JSON array of objects (bulk) keeps its order. Values are raw JSON values;
 * sanitizing them (numbers, flattening, tags, time) is the next stage's job.
 */
export type DecodedSlot =
  | { kind: 'data' | 'event'; readings: Record<string, unknown>[] }
  | { kind: 'ignore'; reason: string };

/** Slot suffixes of a JSON data container (Kotori's `TopicPatterns.data`). */
const DATA_CONTAINERS = [
  'data.json', // the regular one
  'message-json', // legacy v1
  'data/__json__', // Homie
  'loop', // WeeWX
];

/** Slot suffixes of a JSON event (Kotori's `TopicPatterns.event`). */
const EVENT_CONTAINERS = ['event.json', 'event/__json__'];

/** `data/<field>` or `measure/<field>` (legacy), one numeric value as text. */
const DISCRETE = /^(?:data|measure)\/([^/]+)$/;

/** Python's float() grammar without `_` digit separators: what Kotori accepts as a number. */
const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Python's float() also reads these words; they give NaN or ±Infinity. */
const NON_FINITE_TEXT = /^[+-]?(?:nan|inf|infinity)$/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Classify a slot and decode its payload. Pure; throws `DecodeError` only.
 *
 * Checked in Kotori's order:
 * 1. a slot ending in `error.json` → ignore: daqd publishes its own errors there (loop protection);
 * 2. data containers `data.json`, `message-json`, `data/__json__`, `loop` → JSON object or array of objects;
 * 3. discrete `data/<field>` or `measure/<field>` → `{ <field>: <number> }` from a numeric payload;
 * 4. events `event.json`, `event/__json__` → JSON object or array of objects;
 * 5. anything else → a `DecodeError` naming the slots daqd knows (the sender gets it on error.json).
 *
 * The payload of an ignored slot is not looked at.
 *
 * A container matches when the slot is its name or ends in `/<name>`.
 */
export function decodeSlot(slot: string, payload: Buffer): DecodedSlot {
  return decodeSlotPayload(slot, classifySlot(slot), payload);
}

/**
 * What a slot holds, decided from its name alone (the first half of `decodeSlot`): a JSON data or
 * event container, a discrete value of one field, an error report, or a slot daqd does not know.
 * Pure. Slots repeat with every message of a node, so a caller may keep this per topic.
 */
export type SlotClass =
  | { kind: 'data' | 'event'; container: 'json' }
  | { kind: 'data'; container: 'discrete'; field: string }
  | { kind: 'ignore'; reason: string }
  | { kind: 'unknown'; slot: string };

/** The slots daqd takes, for the message that answers an unknown one. */
export const KNOWN_SLOTS: readonly string[] = [
  ...DATA_CONTAINERS,
  'data/<field>',
  'measure/<field>',
  ...EVENT_CONTAINERS,
];

/** Classifies a slot by name in Kotori's order (see `decodeSlot`). Pure; never throws. */
export function classifySlot(slot: string): SlotClass {
  if (carriesErrors(slot)) {
    return { kind: 'ignore', reason: `slot '${slot}' carries error reports` };
  }
  if (DATA_CONTAINERS.some((name) => hasSuffix(slot, name))) return { kind: 'data', container: 'json' };
  const discrete = DISCRETE.exec(slot);
  if (discrete) return { kind: 'data', container: 'discrete', field: discrete[1]! };
  if (EVENT_CONTAINERS.some((name) => hasSuffix(slot, name))) return { kind: 'event', container: 'json' };
  return { kind: 'unknown', slot };
}

/** Decodes the payload of a slot classified by `classifySlot` (the second half of `decodeSlot`). */
export function decodeSlotPayload(slot: string, slotClass: SlotClass, payload: Buffer): DecodedSlot {
  if (slotClass.kind === 'ignore') return slotClass;
  if (slotClass.kind === 'unknown') {
    throw new DecodeError(`slot '${slot}' is not a known slot (known: ${KNOWN_SLOTS.join(', ')})`);
  }
  if (slotClass.container === 'json') return { kind: slotClass.kind, readings: jsonReadings(slot, payload) };
  const text = payloadText(slot, payload);
  const value = parseNumericText(text);
  if (value === undefined || !Number.isFinite(value)) {
    throw new DecodeError(`slot '${slot}': payload '${clip(text)}' is not a finite number`);
  }
  return { kind: 'data', readings: [{ [slotClass.field]: value }] };
}

/**
 * A number written as text, read the way Kotori's `float()` does: surrounding white space is
 * ignored; decimal and exponent forms are numbers (`21.5`, ` 42 `, `1e3`, `.5`); `nan`, `inf` and
 * `infinity` (any case, signed) give NaN / ±Infinity. Anything else (`''`, `0x10`, `1,5`, `12 V`)
 * is not a number: `undefined`.
 */
export function parseNumericText(text: string): number | undefined {
  const trimmed = text.trim();
  if (NUMERIC_TEXT.test(trimmed)) return Number(trimmed);
  if (NON_FINITE_TEXT.test(trimmed)) {
    if (/nan/i.test(trimmed)) return Number.NaN;
    return trimmed.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}

function hasSuffix(slot: string, name: string): boolean {
  return slot === name || slot.endsWith(`/${name}`);
}

function payloadText(slot: string, payload: Buffer): string {
  try {
    return utf8.decode(payload);
  } catch (err) {
    throw new DecodeError(`slot '${slot}': payload is not valid UTF-8`, { cause: err });
  }
}

function jsonReadings(slot: string, payload: Buffer): Record<string, unknown>[] {
  const text = payloadText(slot, payload);
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new DecodeError(`slot '${slot}': payload is not valid JSON: ${detail}`, { cause: err });
  }
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

/** Payload text in an error message: short enough for a log line and the error topic. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
