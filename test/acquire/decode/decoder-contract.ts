import { expect } from 'chai';
import type {
  BodyDecoder,
  CsvHeader,
  Decoder,
  DocumentDecoder,
  SlotDecoder,
  SlotMatch,
} from '../../../lib/acquire/decode/decoder.js';
import { parseJsonExact } from '../../../lib/acquire/decode/json-exact.js';
import { DecodeError } from '../../../lib/core/errors.js';

/** One payload and what the decoder must make of it: these readings, or a `DecodeError` matching `error`. */
export interface DecoderCase {
  name: string;
  /** Text is UTF-8 encoded; a Buffer is used as it is. */
  payload: string | Buffer;
  /** Slot decoders: the slot the payload came on. */
  slot?: string;
  /** Slot decoders configured by an app key (CSV lines): the match the app gives, not the slot's own. */
  match?: SlotMatch;
  /** Body decoders that remember a header: the channel's header before this body. */
  header?: CsvHeader;
  expected?: Record<string, unknown>[];
  /** Slot decoders: the kind of the readings (default `data`). */
  kind?: 'data' | 'event';
  error?: RegExp;
}

/** Every decoder's fixtures, by category; each category must hold at least one case. */
export interface DecoderFixtures {
  valid: DecoderCase[];
  malformed: DecoderCase[];
  empty: DecoderCase[];
  wrongTypes: DecoderCase[];
}

/**
 * The decoder contract (run for every decoder of `decode/registry.ts`): valid payloads give the expected
 * readings, the same ones every time, without touching the payload; malformed, empty and wrongly typed
 * payloads throw a `DecodeError` (nothing else) whose message names the problem. A slot decoder takes
 * every slot it lists; a body decoder's readings read the same the second time (large bodies are read
 * twice).
 */
export function decoderContract(decoder: Decoder, fixtures: DecoderFixtures): void {
  describe(`decoder '${decoder.name}' (contract)`, () => {
    for (const category of ['valid', 'malformed', 'empty', 'wrongTypes'] as const) {
      it(`has ${category} fixtures`, () => {
        expect(fixtures[category], category).to.have.length.above(0);
      });
    }

    for (const c of fixtures.valid) {
      it(`valid: ${c.name}`, async () => {
        expect(c.expected, 'a valid case names its readings').to.be.an('array');
        const payload = bytes(c.payload);
        const before = Buffer.from(payload);
        const first = await decodeAll(decoder, c, payload);
        expect(first.readings).to.deep.equal(c.expected);
        if (decoder.takes === 'slot') expect(first.kind).to.equal(c.kind ?? 'data');
        expect(await decodeAll(decoder, c, payload), 'decoding again').to.deep.equal(first);
        expect(payload.equals(before), 'the payload is left as it was').to.equal(true);
      });
    }

    for (const category of ['malformed', 'empty', 'wrongTypes'] as const) {
      for (const c of fixtures[category]) {
        it(`${category}: ${c.name}`, async () => {
          expect(c.error, 'a failing case names its error').to.be.instanceOf(RegExp);
          let thrown: unknown;
          try {
            await decodeAll(decoder, c, bytes(c.payload));
          } catch (err) {
            thrown = err;
          }
          expect(thrown, 'throws').to.be.instanceOf(DecodeError);
          expect((thrown as Error).message).to.match(c.error!);
        });
      }
    }

    if (decoder.takes === 'slot') {
      it('takes every slot it lists', () => {
        for (const slot of decoder.slots) {
          const example = slot.replace('<field>', 'temperature');
          expect(decoder.matchSlot(example), example).to.not.equal(undefined);
        }
      });
    } else if (decoder.takes === 'document') {
      it('recognises every valid document', () => {
        for (const c of fixtures.valid)
          expect(decoder.recognises(documentOf(c.payload)), c.name).to.equal(true);
      });
    } else {
      it('names its media types in lower case, without parameters', () => {
        expect(decoder.contentTypes).to.have.length.above(0);
        for (const type of decoder.contentTypes) expect(type).to.match(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/);
      });
    }
  });
}

function bytes(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** Runs a decoder on one payload: its kind (slot decoders) and readings. */
async function decodeAll(
  decoder: Decoder,
  c: DecoderCase,
  payload: Buffer,
): Promise<{ kind?: string; readings: Record<string, unknown>[] }> {
  if (decoder.takes === 'slot') return decodeSlotCase(decoder, c, payload);
  if (decoder.takes === 'document') return decodeDocumentCase(decoder, payload);
  return decodeBodyCase(decoder, c, payload);
}

/** A document decoder's fixture payload: the JSON object of the document. */
function documentOf(payload: string | Buffer): Record<string, unknown> {
  const document = parseJsonExact(bytes(payload).toString('utf8'));
  expect(document, 'a document fixture is a JSON object').to.be.an('object');
  return document as Record<string, unknown>;
}

function decodeDocumentCase(decoder: DocumentDecoder, payload: Buffer) {
  const document = documentOf(payload);
  const before = structuredClone(document);
  // A vendor with several series per document gives them all (each naming its measurement).
  const readings = decoder.decodeSeries?.(document) ?? [decoder.decodeDocument(document)];
  expect(document, 'the document is left as it was').to.deep.equal(before);
  return { readings };
}

function decodeSlotCase(decoder: SlotDecoder, c: DecoderCase, payload: Buffer) {
  const slot = c.slot ?? decoder.slots[0]!;
  const match = c.match ?? decoder.matchSlot(slot);
  expect(match, `'${decoder.name}' takes slot '${slot}'`).to.not.equal(undefined);
  return decoder.decode(slot, match!, payload);
}

async function decodeBodyCase(decoder: BodyDecoder, c: DecoderCase, payload: Buffer) {
  const body = await decoder.decodeBody(payload, { header: c.header });
  const read = async () => {
    const readings: Record<string, unknown>[] = [];
    for await (const item of body.items()) readings.push(item.reading);
    return readings;
  };
  const readings = await read();
  expect(await read(), 'read a second time').to.deep.equal(readings);
  return { readings };
}
