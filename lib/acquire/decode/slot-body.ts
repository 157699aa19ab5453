import { wholeBody } from './body-readings.js';
import type { BodyDecoder, SlotDecoder, SlotMatch } from './decoder.js';
import { decoderNamed } from './registry.js';
import { classifySlot } from './slot.js';

/**
 * The decoder of HTTP bodies posted to `slot` when a slot decoder that takes bodies takes it (a
 * vendor's own POST: airrohr on `custom/airrohr.json`), whatever their Content-Type; undefined
 * otherwise (the body is then read by its Content-Type). Pure.
 */
export function slotBodyDecoder(slot: string): BodyDecoder | undefined {
  const slotClass = classifySlot(slot);
  if (slotClass.kind !== 'decoder' || slotClass.decoder.takesBodies !== true) return undefined;
  return slotDecoderForBodies(slotClass.decoder, slot, slotClass.match);
}

/**
 * The decoder of HTTP bodies posted to an app with `decoder = <name>` when that decoder takes bodies
 * (`ecowitt`, `airrohr`): every body is its payload, whatever its Content-Type; undefined for any other
 * app (line protocol has its own path, `http/ingest.ts`). Pure.
 */
export function appBodyDecoder(name: string | undefined, slot: string): BodyDecoder | undefined {
  if (name === undefined) return undefined;
  const decoder = decoderNamed(name);
  if (decoder?.takes !== 'slot' || decoder.takesBodies !== true) return undefined;
  return slotDecoderForBodies(decoder, slot, decoder.matchSlot(slot) ?? { kind: 'data' });
}

function slotDecoderForBodies(decoder: SlotDecoder, slot: string, match: SlotMatch): BodyDecoder {
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
