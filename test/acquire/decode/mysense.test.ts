import { expect } from 'chai';
import { appDecoding } from '../../../lib/acquire/decode/app-decoder.js';
import { decodeSlotPayload } from '../../../lib/acquire/decode/slot.js';
import { parseTopicTemplate } from '../../../lib/acquire/decode/strategy/topic-template.js';
import { vendorDocuments } from '../../../lib/acquire/decode/vendor-document.js';
import { messageToPoints, type PipelineContext } from '../../../lib/acquire/pipeline.js';
import { SeriesClock } from '../../../lib/acquire/sanitize/series-clock.js';
import { parseNameTemplate } from '../../../lib/acquire/sanitize/storage-address.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { MYSENSE_DATA, MYSENSE_INFO, MYSENSE_TELEGRAM } from './mysense.fixtures.js';

function compiled<T>(result: { template: T } | { problem: string }): T {
  if ('problem' in result) throw new Error(result.problem);
  return result.template;
}

/** The app of `apps-available/mysense.ini`: MySense's topics, its database, label and geolocation as tags. */
const topicTemplate = compiled(parseTopicTemplate('IoS/{project}/{serial}'));
const app: PipelineContext['app'] = {
  realm: 'mysense',
  strategy: 'template',
  tags: ['label', 'geolocation'],
  topic_template: topicTemplate,
  database: compiled(
    parseNameTemplate('{project}_{serial}', ['realm', 'node', 'field', 'project', 'serial']),
  ),
};

describe('MySense telegrams', () => {
  it('are recognised in a JSON data container and in the JSON payload of a topic template', () => {
    const plain = { temperature: 21.5 };
    for (const slot of ['data.json', '']) {
      expect(vendorDocuments(slot, 'data', [plain, MYSENSE_TELEGRAM]), slot).to.deep.equal([
        plain,
        MYSENSE_INFO,
        MYSENSE_DATA,
      ]);
    }
    // Not as events, and not a TTN v2 uplink (metadata without data) or plain fields of those names.
    const others = [
      { metadata: { time: '2020-10-25T11:07:43Z' }, payload_fields: { v: 1 } },
      { metadata: 1, data: 2 },
    ];
    expect(vendorDocuments('', 'data', others)).to.equal(others);
    const readings = [MYSENSE_TELEGRAM];
    expect(vendorDocuments('event.json', 'event', readings)).to.equal(readings);
  });

  it('go to <project>_<serial>, measurements info and data, label and geolocation as tags', () => {
    const receivedAt = 1_700_000_000_000_000_000n;
    const result = messageToPoints(
      { topic: 'IoS/BdP/test_sense', payload: Buffer.from(JSON.stringify(MYSENSE_TELEGRAM)), receivedAt },
      { app, timezone: 'UTC', clock: new SeriesClock() },
    );
    expect(result.kind).to.equal('points');
    if (result.kind !== 'points') return;
    expect(result.database).to.equal('bdp_test_sense');
    expect(result.points).to.deep.equal([
      {
        measurement: 'info',
        tags: {
          project: 'BdP',
          serial: 'test_sense',
          label: 'alphaTest',
          geolocation: '51.420635,6.1356117,22.9',
        },
        fields: {
          fields: 'time,pm_25,pm_10,dtemp,drh,temp,rh,hpa',
          extern_ip: '83.161.151.250',
          units: 's,pcs/qf,pcs/qf,C,%,C,%,hPa',
          types: 'time,Dylos DC1100,Dylos DC1100,DHT22,DHT22,BME280,BME280,BME280',
        },
        time: receivedAt,
      },
      {
        measurement: 'data',
        tags: {
          project: 'BdP',
          serial: 'test_sense',
          label: 'alphaTest',
          geolocation: '51.420635,6.1356117,22.9',
        },
        fields: { pm_25: 318.5, pm_10: 62, dtemp: 27.8, drh: 29.3, temp: 28.75, rh: 25, hpa: 712 },
        time: 1_494_777_772_000_000_000n,
      },
    ]);
  });

  it('leave out a series that holds only tags (an info of just the label), keeping the other', () => {
    const telegram = {
      metadata: { project: 'BdP', serial: 'kit_2', label: 'alphaTest' },
      data: { time: 1494778772, BME280: { temp: 21.3, hpa: 1013.1 }, SDS011: { pm25: 4.1 }, NEO6: null },
    };
    const result = messageToPoints(
      { topic: 'IoS/BdP/kit_2', payload: Buffer.from(JSON.stringify(telegram)), receivedAt: 1n },
      { app, timezone: 'UTC', clock: new SeriesClock() },
    );
    expect(result).to.deep.include({ kind: 'points', database: 'bdp_kit_2' });
    expect(result.kind === 'points' ? result.points : []).to.deep.equal([
      {
        measurement: 'data',
        tags: { project: 'BdP', serial: 'kit_2', label: 'alphaTest' },
        fields: { 'BME280.temp': 21.3, 'BME280.hpa': 1013.1, 'SDS011.pm25': 4.1 },
        time: 1_494_778_772_000_000_000n,
      },
    ]);
  });

  it('give both series with the app key decoder = mysense too', () => {
    const decoding = appDecoding('mysense', '', 'test_sense');
    if (decoding.kind !== 'readings') throw new Error('expected readings');
    const slotClass = { kind: 'decoder' as const, decoder: decoding.decoder, match: decoding.match };
    const payload = Buffer.from(JSON.stringify(MYSENSE_TELEGRAM));
    expect(decodeSlotPayload('', slotClass, payload)).to.deep.equal({
      kind: 'data',
      readings: [MYSENSE_INFO, MYSENSE_DATA],
    });
  });

  it('refuse a malformed telegram instead of storing its raw fields', () => {
    const payload = Buffer.from(JSON.stringify({ metadata: { project: 'BdP', label: 'x' }, data: [1, 2] }));
    expect(() =>
      messageToPoints(
        { topic: 'IoS/BdP/s', payload, receivedAt: 1n },
        { app, timezone: 'UTC', clock: new SeriesClock() },
      ),
    )
      .to.throw(DecodeError)
      .with.property('message')
      .that.matches(/MySense document: data is an array, not an object/);
  });
});
