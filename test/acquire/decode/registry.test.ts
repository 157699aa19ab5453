import { expect } from 'chai';
import {
  BODY_DECODERS,
  bodyDecoderFor,
  DECODERS,
  decoderNamed,
  SLOT_DECODERS,
} from '../../../lib/acquire/decode/registry.js';
import { KNOWN_SLOTS } from '../../../lib/acquire/decode/slot.js';
import { airrohrDocumentFixtures, airrohrFixtures } from './airrohr.fixtures.js';
import { csvFixtures, formFixtures, jsonBodyFixtures, ndjsonFixtures } from './body.fixtures.js';
import { csvLinesFixtures } from './csv-lines.fixtures.js';
import { type DecoderFixtures, decoderContract } from './decoder-contract.js';
import { ecowittFixtures } from './ecowitt.fixtures.js';
import { homieFixtures } from './homie.fixtures.js';
import { kotoriDiscreteFixtures } from './kotori-discrete.fixtures.js';
import { kotoriJsonEventFixtures, kotoriJsonFixtures } from './kotori-json.fixtures.js';
import { lineProtocolFixtures } from './line-protocol.fixtures.js';
import { mysenseFixtures } from './mysense.fixtures.js';
import { plainValueFixtures } from './plain-value.fixtures.js';
import { tasmotaFixtures } from './tasmota.fixtures.js';
import { ttnFixtures } from './ttn.fixtures.js';
import { weewxFixtures } from './weewx.fixtures.js';

/** The fixtures of every registered decoder, by name: a decoder without any fails below. */
const FIXTURES: Readonly<Record<string, DecoderFixtures>> = {
  'kotori-json': kotoriJsonFixtures,
  'kotori-discrete': kotoriDiscreteFixtures,
  'kotori-json-event': kotoriJsonEventFixtures,
  tasmota: tasmotaFixtures,
  'json-body': jsonBodyFixtures,
  form: formFixtures,
  csv: csvFixtures,
  ndjson: ndjsonFixtures,
  'line-protocol': lineProtocolFixtures,
  airrohr: airrohrFixtures,
  'airrohr-document': airrohrDocumentFixtures,
  ttn: ttnFixtures,
  mysense: mysenseFixtures,
  'plain-value': plainValueFixtures,
  'csv-lines': csvLinesFixtures,
  homie: homieFixtures,
  weewx: weewxFixtures,
  ecowitt: ecowittFixtures,
};

describe('decoder registry', () => {
  it('names every decoder once', () => {
    const names = DECODERS.map((decoder) => decoder.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const name of names) expect(decoderNamed(name)?.name).to.equal(name);
    expect(decoderNamed('no-such-decoder')).to.equal(undefined);
  });

  it('has fixtures for every decoder', () => {
    for (const decoder of DECODERS) expect(FIXTURES, decoder.name).to.have.property(decoder.name);
  });

  it("asks the slot decoders in Kotori's order: JSON data containers, discrete values, JSON events, then vendors", () => {
    expect(SLOT_DECODERS.map((decoder) => decoder.name)).to.deep.equal([
      'kotori-json',
      'homie',
      'weewx',
      'kotori-discrete',
      'kotori-json-event',
      'tasmota',
      'airrohr',
    ]);
    expect(KNOWN_SLOTS).to.deep.equal([
      'data.json',
      'message-json',
      'data/__json__',
      'event/__json__',
      'loop',
      'data/<field>',
      'measure/<field>',
      'event.json',
      'tele/SENSOR',
      'tele/STATE',
      'custom/airrohr.json',
    ]);
  });

  it('gives each media type to one body decoder', () => {
    const types = BODY_DECODERS.flatMap((decoder) => decoder.contentTypes);
    expect(new Set(types).size).to.equal(types.length);
    for (const decoder of BODY_DECODERS) {
      for (const type of decoder.contentTypes) expect(bodyDecoderFor(type)).to.equal(decoder);
    }
    expect(bodyDecoderFor('application/octet-stream')).to.equal(undefined);
  });

  it('takes the media types HTTP ingest always took, and line protocol as text/plain', () => {
    const taken = Object.fromEntries(
      BODY_DECODERS.flatMap((decoder) => decoder.contentTypes.map((type) => [type, decoder.name])),
    );
    expect(taken).to.deep.equal({
      'application/json': 'json-body',
      'text/json': 'json-body',
      'application/x-www-form-urlencoded': 'form',
      'text/csv': 'csv',
      'application/x-ndjson': 'ndjson',
      'application/ndjson': 'ndjson',
      'application/jsonl': 'ndjson',
      'application/x-jsonlines': 'ndjson',
      // InfluxDB line protocol, as its clients send it.
      'text/plain': 'line-protocol',
    });
  });
});

for (const decoder of DECODERS) {
  const fixtures = FIXTURES[decoder.name];
  if (fixtures !== undefined) decoderContract(decoder, fixtures);
}
