import { DOCUMENT_DECODERS } from './registry.js';

/** Kotori looks for vendor documents only in readings of a slot ending in this (`DecoderManager.probe`). */
const DATA_CONTAINER = 'data.json';

/**
 * The readings of a data slot with every vendor document (a TTN uplink, see `decode/ttn.ts`) replaced
 * by its decoding; other readings as they are. Kotori recognises them on `data.json` (MQTT, and HTTP
 * POSTs to `…/data`), so a TTN webhook needs no path of its own. Pure; throws `DecodeError` only (a
 * recognised document that is malformed is refused, never stored as its raw fields).
 */
export function vendorDocuments(
  slot: string,
  kind: 'data' | 'event',
  readings: readonly Record<string, unknown>[],
): readonly Record<string, unknown>[] {
  if (kind !== 'data' || !slot.endsWith(DATA_CONTAINER)) return readings;
  let out: Record<string, unknown>[] | undefined;
  readings.forEach((reading, index) => {
    const decoder = DOCUMENT_DECODERS.find((candidate) => candidate.recognises(reading));
    if (decoder === undefined) return;
    out ??= readings.slice();
    out[index] = decoder.decodeDocument(reading);
  });
  return out ?? readings;
}
