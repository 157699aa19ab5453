import { DecodeError } from '../../core/errors.js';
import type { DocumentDecoder, SlotDecoder, SlotMatch } from './decoder.js';
import { parseJsonPayload } from './json-exact.js';
import { describeJson, isJsonObject } from './json-shape.js';
import { type ParsedLine, parseLineProtocol } from './line-protocol.js';
import { slotPayloadText } from './payload-text.js';
import { CONFIGURED_SLOT_DECODERS, DECODERS, decoderNamed } from './registry.js';

/**
 * The app key `decoder = <name>`: one decoder of `decode/registry.ts` takes every MQTT message of the
 * realm, instead of slot matching (`slot.ts`). The topic still gives the topology (the realm's strategy
 * or topic template), so database and measurement are named as without the key; only a slot ending in
 * `error.json` is still skipped first (Kotori's loop protection).
 *
 * - a slot decoder (`tasmota`, `airrohr`, `plain-value`, Kotori's own) decodes every payload, as if its
 *   slot matched (with the slot's own match where it has one);
 * - a document decoder (`ttn`) decodes every payload as its JSON document (an object, or an array of
 *   them): a TTN v3 uplink on `v3/<app>@<tenant>/devices/<device>/up`;
 * - `line-protocol`: every payload is InfluxDB line protocol, stored as written (measurement, tags,
 *   fields with their types, time) in the database the topic's topology is addressed to
 *   (`AppDecoding.kind === 'lines'`);
 * - the other body decoders (JSON, form, CSV, NDJSON) read HTTP bodies only: naming one is a
 *   configuration problem (`appDecoderProblem`).
 *
 * HTTP ingest: with `line-protocol`, a body posted to a node's path is line protocol whatever its
 * Content-Type, stored as written in that node's database, as on MQTT (`http/ingest.ts`); the other
 * decoders do not read HTTP bodies, which are read by their Content-Type as before.
 */
export type AppDecoding = { kind: 'readings'; decoder: SlotDecoder; match: SlotMatch } | { kind: 'lines' };

/** The decoder that reads MQTT payloads as line protocol when an app names it. */
const LINE_PROTOCOL = 'line-protocol';

/** True when `decoder = <name>` reads every payload (and HTTP body) as line protocol. */
export function readsLineProtocol(name: string | undefined): boolean {
  return name === LINE_PROTOCOL;
}

/** The names `decoder = …` may take, in registry order. */
export const APP_DECODER_NAMES: readonly string[] = DECODERS.filter(
  (decoder) =>
    (decoder.takes !== 'body' || decoder.name === LINE_PROTOCOL) &&
    !(CONFIGURED_SLOT_DECODERS as readonly unknown[]).includes(decoder),
).map((decoder) => decoder.name);

/**
 * What is wrong with `decoder = <name>`, or undefined when the registry has it and it reads MQTT
 * payloads. Pure.
 */
export function appDecoderProblem(name: string): { problem: string; known: readonly string[] } | undefined {
  const decoder = decoderNamed(name);
  if (decoder === undefined) return { problem: `unknown decoder '${name}'`, known: APP_DECODER_NAMES };
  if ((CONFIGURED_SLOT_DECODERS as readonly unknown[]).includes(decoder)) {
    return {
      problem: `decoder '${name}' is chosen by its own app key (csv_fields), not by decoder`,
      known: APP_DECODER_NAMES,
    };
  }
  if (!APP_DECODER_NAMES.includes(name)) {
    return {
      problem: `decoder '${name}' reads HTTP bodies only (chosen by their Content-Type), not MQTT payloads`,
      known: APP_DECODER_NAMES,
    };
  }
  return undefined;
}

/**
 * How a topic of an app with `decoder = <name>` is decoded; `slot` and `field` are its topology's.
 * `name` was checked at load (`appDecoderProblem`): an unknown one is a programming error (plain `Error`).
 */
export function appDecoding(name: string, slot: string, field: string | undefined): AppDecoding {
  if (readsLineProtocol(name)) return { kind: 'lines' };
  const decoder = decoderNamed(name);
  if (decoder === undefined || decoder.takes === 'body') throw new Error(`no MQTT decoder named '${name}'`);
  if (decoder.takes === 'document') {
    return { kind: 'readings', decoder: documentSlotDecoder(decoder), match: { kind: 'data', field } };
  }
  const match = decoder.matchSlot(slot) ?? (field === undefined ? undefined : decoder.matchSlot(field));
  return { kind: 'readings', decoder, match: match ?? { kind: 'data', field } };
}

/** Where a payload came from, in error messages. */
function payloadWhere(slot: string, field: string | undefined): string {
  if (slot !== '') return `slot '${slot}'`;
  return field === undefined ? 'payload' : `topic level '${field}'`;
}

/** A document decoder reading each payload as one JSON document (or an array of them). */
function documentSlotDecoder(decoder: DocumentDecoder): SlotDecoder {
  return {
    name: decoder.name,
    takes: 'slot',
    slots: [],
    matchSlot: () => ({ kind: 'data' }),
    decode(slot, match, payload) {
      const where = payloadWhere(slot, match.field);
      const value = parseJsonPayload(
        slotPayloadText(slot === '' ? (match.field ?? '') : slot, payload),
        `${where}: payload`,
      );
      const documents = Array.isArray(value) ? value : [value];
      if (documents.length === 0) throw new DecodeError(`${where}: payload is an empty JSON array`);
      const readings = documents.flatMap((document: unknown, index) => {
        const item = Array.isArray(value) ? `item ${index} of ` : '';
        if (!isJsonObject(document)) {
          throw new DecodeError(`${where}: ${item}payload is ${describeJson(document)}, not a JSON object`);
        }
        if (!decoder.recognises(document)) {
          throw new DecodeError(`${where}: ${item}payload is not a '${decoder.name}' document`);
        }
        // A vendor with several series per document (MySense: info and data) gives them all.
        return decoder.decodeSeries?.(document) ?? [decoder.decodeDocument(document)];
      });
      return { kind: 'data', readings };
    },
  };
}

/**
 * The lines of a line-protocol payload (nanosecond timestamps, as MQTT has no precision parameter).
 * Pure; a bad line is a `DecodeError` naming it, and nothing of the payload is stored.
 */
export function decodeLinePayload(slot: string, field: string | undefined, payload: Buffer): ParsedLine[] {
  const where = payloadWhere(slot, field);
  const text = slotPayloadText(slot === '' ? (field ?? '') : slot, payload);
  if (text.trim() === '') throw new DecodeError(`${where}: empty payload`);
  const { lines, problems } = parseLineProtocol(text, 1n);
  const first = problems[0];
  if (first !== undefined) throw new DecodeError(`${where}: line ${first.line}: ${first.message}`);
  if (lines.length === 0) throw new DecodeError(`${where}: payload holds no line of line protocol`);
  return lines;
}
