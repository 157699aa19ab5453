import { wholeBody } from './body-readings.js';
import type { BodyDecoder } from './decoder.js';
import { classifySlot } from './slot.js';

/**
 * The decoder of HTTP bodies posted to `slot` when a slot decoder that takes bodies takes it (a
 * vendor's own POST: airrohr on `custom/airrohr.json`), whatever their Content-Type; undefined
 * otherwise (the body is then read by its Content-Type). Pure.
 */
export function slotBodyDecoder(slot: string): BodyDecoder | undefined {
  const slotClass = classifySlot(slot);
  if (slotClass.kind !== 'decoder' || slotClass.decoder.takesBodies !== true) return undefined;
  const { decoder, match } = slotClass;
  return {
    name: decoder.name,
    takes: 'body',
    contentTypes: [],
    decodeBody: async (body) => {
      const { readings } = decoder.decode(slot, match, body);
      return wholeBody({ readings, where: (index) => `reading ${index + 1}`, messages: [] });
    },
  };
}
