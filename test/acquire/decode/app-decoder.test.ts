import { expect } from 'chai';
import {
  APP_DECODER_NAMES,
  appDecoderProblem,
  appDecoding,
  decodeLinePayload,
} from '../../../lib/acquire/decode/app-decoder.js';
import { decodeSlotPayload } from '../../../lib/acquire/decode/slot.js';
import {
  parseTopicTemplate,
  type TopicTemplate,
} from '../../../lib/acquire/decode/strategy/topic-template.js';
import { messageToPoints, type PipelineContext, TopicRoutes } from '../../../lib/acquire/pipeline.js';
import { SeriesClock } from '../../../lib/acquire/sanitize/series-clock.js';
import { parseNameTemplate } from '../../../lib/acquire/sanitize/storage-address.js';
import { DEFAULT_TAG_FIELDS } from '../../../lib/config/settings.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { TTN_UPLINK, TTN_UPLINK_READING } from './ttn.fixtures.js';

function template(text: string): TopicTemplate {
  const compiled = parseTopicTemplate(text);
  if ('problem' in compiled) throw new Error(compiled.problem);
  return compiled.template;
}

function context(app: Partial<PipelineContext['app']>): PipelineContext {
  return {
    app: { realm: 'r', strategy: 'mqttkit', tags: DEFAULT_TAG_FIELDS, ...app },
    timezone: 'UTC',
    clock: new SeriesClock(),
    routes: new TopicRoutes(),
  };
}

function run(ctx: PipelineContext, topic: string, payload: string | Buffer, receivedAt = 5n) {
  return messageToPoints({ topic, payload: Buffer.from(payload), receivedAt }, ctx);
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DecodeError);
    return (err as Error).message;
  }
  throw new Error('no DecodeError');
}

describe('acquire/decode/app-decoder (the app key decoder = …)', () => {
  describe('which names it takes', () => {
    it('takes slot and document decoders and line-protocol from the registry', () => {
      for (const name of ['ttn', 'tasmota', 'airrohr', 'plain-value', 'line-protocol']) {
        expect(appDecoderProblem(name), name).to.equal(undefined);
        expect(APP_DECODER_NAMES).to.include(name);
      }
    });

    it('refuses an unknown name and a body decoder that reads HTTP bodies only', () => {
      expect(appDecoderProblem('tnn')?.problem).to.equal("unknown decoder 'tnn'");
      expect(appDecoderProblem('csv')?.problem).to.match(/^decoder 'csv' reads HTTP bodies only/);
      expect(APP_DECODER_NAMES).not.to.include('csv');
      expect(appDecoderProblem('csv-lines')?.problem).to.equal(
        "decoder 'csv-lines' is chosen by its own app key (csv_fields), not by decoder",
      );
      expect(APP_DECODER_NAMES).not.to.include('csv-lines');
    });
  });

  describe('ttn', () => {
    it('decodes every payload as an uplink, whatever the slot', () => {
      const decoding = appDecoding('ttn', '', 'up');
      if (decoding.kind !== 'readings') throw new Error('expected readings');
      const decoded = decodeSlotPayload(
        '',
        { kind: 'decoder', decoder: decoding.decoder, match: decoding.match },
        Buffer.from(JSON.stringify(TTN_UPLINK)),
      );
      expect(decoded).to.deep.equal({ kind: 'data', readings: [TTN_UPLINK_READING] });
    });

    it('refuses a payload that is not an uplink instead of storing its fields', () => {
      const decoding = appDecoding('ttn', '', 'up');
      if (decoding.kind !== 'readings') throw new Error('expected readings');
      const slotClass = { kind: 'decoder' as const, decoder: decoding.decoder, match: decoding.match };
      const decode = (text: string) => () => decodeSlotPayload('', slotClass, Buffer.from(text));
      expect(failure(decode('{"temperature": 21}'))).to.equal(
        "topic level 'up': payload is not a 'ttn' document",
      );
      expect(failure(decode('42'))).to.equal("topic level 'up': payload is a number, not a JSON object");
      expect(failure(decode('{"uplink'))).to.match(/^topic level 'up': payload is not valid JSON/);
      expect(failure(decode('[]'))).to.equal("topic level 'up': payload is an empty JSON array");
      expect(failure(decode('{"uplink_message": {"f_cnt": 1}}'))).to.match(/decoded_payload/);
    });
  });

  describe('line-protocol', () => {
    it('reads every line of a payload, with nanosecond times', () => {
      const lines = decodeLinePayload(
        '',
        'x',
        Buffer.from('cpu,host=a usage=0.5,n=3i 1700000000000000001\nmem free=7i'),
      );
      expect(lines).to.have.length(2);
      expect(lines[0]).to.deep.include({
        measurement: 'cpu',
        tags: { host: 'a' },
        time: 1700000000000000001n,
      });
      expect(lines[1]?.time).to.equal(undefined);
    });

    it('names the bad line, and refuses an empty payload', () => {
      expect(failure(() => decodeLinePayload('lp', undefined, Buffer.from('cpu v=1\ncpu v=')))).to.match(
        /^slot 'lp': line 2: /,
      );
      expect(failure(() => decodeLinePayload('', 'x', Buffer.from(' \n')))).to.equal(
        "topic level 'x': empty payload",
      );
    });
  });

  describe('through the pipeline', () => {
    it('stores a TTN uplink on a template topic as the webhook does, tagged by the template', () => {
      const ctx = context({
        strategy: 'template',
        topic_template: template('v3/{application}/devices/{node}/up'),
        decoder: 'ttn',
      });
      const result = run(ctx, 'v3/apiary@ttn/devices/hive-scale-7/up', JSON.stringify(TTN_UPLINK));
      if (result.kind !== 'points') throw new Error('expected points');
      expect(result.database).to.equal('r_hive_scale_7');
      expect(result.points).to.have.length(1);
      const point = result.points[0]!;
      expect(point.measurement).to.equal('sensors');
      expect(point.tags).to.deep.equal({ application: 'apiary@ttn' });
      expect(point.time).to.equal(1715933742123456789n);
      expect(point.fields).to.include({ temperature_1: 22.8, 'gw_garden-gw_rssi': -97, counter: 1042 });
    });

    it('stores line protocol as written in the database the topic is addressed to', () => {
      const ctx = context({ strategy: 'mqttkit', decoder: 'line-protocol' });
      const result = run(
        ctx,
        'r/lab/gw-1/node-1/lp',
        'weather,site=roof temp=21.5,count=3i,ok=true,note="a b" 1700000000000000123\nweather rain=0',
        99n,
      );
      expect(result).to.deep.equal({
        kind: 'points',
        topology: { realm: 'r', network: 'lab', gateway: 'gw-1', node: 'node-1', slot: 'lp' },
        database: 'r_lab',
        points: [
          {
            measurement: 'weather',
            tags: { site: 'roof' },
            fields: { temp: 21.5, count: 3n, ok: true, note: 'a b' },
            time: 1700000000000000123n,
          },
          { measurement: 'weather', tags: {}, fields: { rain: 0 }, time: 99n },
        ],
      });
    });

    it('uses the database naming template of a template app for line protocol', () => {
      const names = parseNameTemplate('{node}_lines', ['realm', 'node', 'field']);
      if ('problem' in names) throw new Error(names.problem);
      const ctx = context({
        strategy: 'template',
        topic_template: template('lp/{node}'),
        database: names.template,
        decoder: 'line-protocol',
      });
      const result = run(ctx, 'lp/Kitchen.1', 'm,room=k v=1 1');
      if (result.kind !== 'points') throw new Error('expected points');
      expect(result.database).to.equal('kitchen_1_lines');
      expect(result.points).to.deep.equal([
        { measurement: 'm', tags: { room: 'k' }, fields: { v: 1 }, time: 1n },
      ]);
    });

    it('still ignores error.json (loop protection) and refuses a bad payload', () => {
      const ctx = context({ strategy: 'mqttkit', decoder: 'line-protocol' });
      expect(run(ctx, 'r/n/g/node/error.json', 'not line protocol')).to.deep.equal({
        kind: 'ignore',
        reason: "slot 'error.json' carries error reports",
      });
      expect(failure(() => run(ctx, 'r/n/g/node/lp', 'weather temp=hot'))).to.match(/^slot 'lp': line 1: /);
    });

    it('takes a slot that slot matching would refuse (the decoder named, not the slot, decides)', () => {
      const slots = context({ strategy: 'mqttkit' });
      expect(failure(() => run(slots, 'r/n/g/node/up', JSON.stringify(TTN_UPLINK)))).to.match(
        /^slot 'up' is not a known slot/,
      );
      const named = context({ strategy: 'mqttkit', decoder: 'ttn' });
      const result = run(named, 'r/n/g/node/up', JSON.stringify(TTN_UPLINK));
      expect(result).to.include({ kind: 'points', database: 'r_n' });
    });
  });
});
