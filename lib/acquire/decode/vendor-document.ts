import { DOCUMENT_DECODERS } from './registry.js';

/** Kotori looks for vendor documents only in readings of a slot ending in this (`DecoderManager.probe`). */
const DATA_CONTAINER = 'data.json';

/**
 * The readings of a data slot with every vendor document (a TTN uplink, see `decode/ttn.ts`; a MySense
 * telegram, `decode/mysense.ts`; an airrohr upload, `decode/airrohr-document.ts`) replaced by its decoding; other readings as they are. Kotori
 * recognises them on `data.json` (MQTT, and HTTP POSTs to `…/data`), so a TTN webhook needs no path of
 * its own; the JSON payload of a topic template without `{slot}` (empty slot) is looked at too, so
 * MySense's `IoS/{project}/{serial}` needs no slot. A decoder with `decodeSeries` gives several
 * readings for one document, each naming its measurement. Pure; throws `DecodeError` only (a
 * recognised document that is malformed is refused, never stored as its raw fields).
 */
export function vendorDocuments(
  slot: string,
  kind: 'data' | 'event',
  readings: readonly Record<string, unknown>[],
): readonly Record<string, unknown>[] {
  if (kind !== 'data' || (slot !== '' && !slot.endsWith(DATA_CONTAINER))) return readings;
  let out: Record<string, unknown>[] | undefined;
  readings.forEach((reading, index) => {
    const decoder = DOCUMENT_DECODERS.find((candidate) => candidate.recognises(reading));
    if (decoder === undefined) {
      out?.push(reading);
      return;
    }
    out ??= readings.slice(0, index);
    if (decoder.decodeSeries !== undefined) out.push(...decoder.decodeSeries(reading));
    else out.push(decoder.decodeDocument(reading));
  });
  return out ?? readings;
}
