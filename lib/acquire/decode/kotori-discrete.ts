import { DecodeError } from '../../core/errors.js';
import type { SlotDecoder } from './decoder.js';
import { parseNumericText } from './numeric-text.js';
import { slotPayloadText } from './payload-text.js';

/** `data/<field>` or `measure/<field>` (legacy), one numeric value as text. */
const DISCRETE = /^(?:data|measure)\/([^/]+)$/;

/**
 * Kotori's discrete values: slot `data/<field>` or `measure/<field>` (legacy), the payload one
 * number as text (`21.5`, ` 42 `, `1e3`), read as Kotori's `float()` reads it; the reading is
 * `{ <field>: <number> }`. NaN and ±Infinity are refused: they are no value to store.
 */
export const kotoriDiscreteDecoder: SlotDecoder = {
  name: 'kotori-discrete',
  takes: 'slot',
  slots: ['data/<field>', 'measure/<field>'],
  matchSlot(slot) {
    const discrete = DISCRETE.exec(slot);
    return discrete ? { kind: 'data', field: discrete[1]! } : undefined;
  },
  decode(slot, match, payload) {
    const text = slotPayloadText(slot, payload);
    const value = parseNumericText(text);
    if (value === undefined || !Number.isFinite(value)) {
      throw new DecodeError(`slot '${slot}': payload '${clip(text)}' is not a finite number`);
    }
    return { kind: 'data', readings: [{ [match.field ?? '']: value }] };
  },
};

/** Payload text in an error message: short enough for a log line and the error topic. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
