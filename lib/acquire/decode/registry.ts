import { airrohrDecoder } from './airrohr.js';
import { airrohrDocumentDecoder } from './airrohr-document.js';
import { csvDecoder } from './csv.js';
import { csvLinesDecoder } from './csv-lines.js';
import type { BodyDecoder, Decoder, DocumentDecoder, SlotDecoder } from './decoder.js';
import { ecowittDecoder } from './ecowitt.js';
import { formDecoder } from './form.js';
import { homieDecoder } from './homie.js';
import { jsonBodyDecoder } from './json-body.js';
import { kotoriDiscreteDecoder } from './kotori-discrete.js';
import { kotoriJsonDecoder, kotoriJsonEventDecoder } from './kotori-json.js';
import { lineProtocolDecoder } from './line-protocol-body.js';
import { mysenseDecoder } from './mysense.js';
import { ndjsonDecoder } from './ndjson.js';
import { plainValueDecoder } from './plain-value.js';
import { tasmotaDecoder } from './tasmota.js';
import { ttnDecoder } from './ttn.js';
import { weewxDecoder } from './weewx.js';

/**
 * Every decoder daqd has, one line each. Adding a decoder is its file, its line here and its
 * fixtures in `test/acquire/decode/` (the contract suite runs every decoder listed).
 *
 * Slot decoders are asked in this order, which is Kotori's (`TopicPatterns`): JSON data containers
 * (Kotori's own, Homie's `data/__json__` — with its `event/__json__` —, WeeWX's `loop`), discrete
 * values, JSON events; the first that takes a slot decodes it. Vendor decoders by slot
 * (Tasmota's `…SENSOR`/`…STATE`) come after those, so no slot Kotori's own patterns take changes
 * hands. Body decoders (HTTP ingest) are chosen by media type; the first type each lists is the one
 * a 415 answer names.
 */
export const DECODERS: readonly Decoder[] = [
  kotoriJsonDecoder,
  homieDecoder,
  weewxDecoder,
  kotoriDiscreteDecoder,
  kotoriJsonEventDecoder,
  tasmotaDecoder,
  airrohrDecoder,
  ttnDecoder,
  mysenseDecoder,
  airrohrDocumentDecoder,
  jsonBodyDecoder,
  formDecoder,
  csvDecoder,
  ndjsonDecoder,
  lineProtocolDecoder,
  plainValueDecoder,
  csvLinesDecoder,
  ecowittDecoder,
];

/**
 * Slot decoders asked only for apps with a topic template (`strategy/template.ts`), after all the others:
 * plain values. mqttkit and basic never ask them, so their unknown slots stay errors, as in Kotori.
 */
export const TEMPLATE_SLOT_DECODERS: readonly SlotDecoder[] = [plainValueDecoder];

/**
 * Slot decoders asked only when an app's own key configures them, never by slot name: CSV lines
 * (`csv_fields = …`, `decode/csv-lines.ts`).
 */
export const CONFIGURED_SLOT_DECODERS: readonly SlotDecoder[] = [csvLinesDecoder];

/**
 * Slot decoders that take no slot by name, asked only when an app names them with `decoder = …`
 * (`decode/app-decoder.ts`): Ecowitt (its stations post to `…/data`, read there by Content-Type).
 */
export const KEY_ONLY_SLOT_DECODERS: readonly SlotDecoder[] = [ecowittDecoder];

/** The slot decoders, in the order they are asked (those only for topic templates or app keys left out). */
export const SLOT_DECODERS: readonly SlotDecoder[] = DECODERS.filter(
  (decoder): decoder is SlotDecoder =>
    decoder.takes === 'slot' &&
    !TEMPLATE_SLOT_DECODERS.includes(decoder) &&
    !CONFIGURED_SLOT_DECODERS.includes(decoder) &&
    !KEY_ONLY_SLOT_DECODERS.includes(decoder),
);

/** The body decoders, in registry order. */
export const BODY_DECODERS: readonly BodyDecoder[] = DECODERS.filter(
  (decoder): decoder is BodyDecoder => decoder.takes === 'body',
);

const BY_CONTENT_TYPE = new Map<string, BodyDecoder>(
  BODY_DECODERS.flatMap((decoder) => decoder.contentTypes.map((type) => [type, decoder] as const)),
);

/**
 * The document decoders (TTN, MySense, airrohr), asked in this order about each reading of a JSON data container; the
 * first that recognises one decodes it (see `decode/vendor-document.ts`).
 */
export const DOCUMENT_DECODERS: readonly DocumentDecoder[] = DECODERS.filter(
  (decoder): decoder is DocumentDecoder => decoder.takes === 'document',
);

/** The decoder of a media type (lower case, no parameters), or undefined when none takes it. */
export function bodyDecoderFor(mediaType: string): BodyDecoder | undefined {
  return BY_CONTENT_TYPE.get(mediaType);
}

/** The media types some decoder takes, in registry order. */
export const BODY_CONTENT_TYPES: readonly string[] = [...BY_CONTENT_TYPE.keys()];

/** The decoder named `name`, or undefined. */
export function decoderNamed(name: string): Decoder | undefined {
  return DECODERS.find((decoder) => decoder.name === name);
}
