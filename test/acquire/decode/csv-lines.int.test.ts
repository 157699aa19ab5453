import { expect } from 'chai';
import type mqtt from 'mqtt';
import { type DaqdStack, type ErrorReport, startDaqdStack } from '../../support/daqd-stack.js';
import { eventually } from '../../support/eventually.js';
import { ISEMS_LINE } from './csv-lines.fixtures.js';

/** Three good lines of one node (the second without status) and one with another field count. */
const LOG = [
  ISEMS_LINE,
  'Elektra-Dach;1;1530365475;ATmega8_A_1;700;1;18.2;17.9;13.9;95;100;27;11.67;14.0;7;20;52.507309;13.458635',
  'Elektra-Dach;1;1530366375;broken',
  'Elektra-Dach;1;1530366375;ATmega8_A_1;690;0;18.0;17.5;13.8;90;100;26;11.67;13.9;7;20;52.507309;13.458635;0x1A',
  '',
].join('\n');

/**
 * ISEMS log lines over MQTT through a daqd process with the shipped `apps-available/isems.ini`, a real
 * mosquitto and a real influxd: every good line stored once, the bad one skipped and answered, the same
 * log again stores no new point.
 */
describe('CSV lines over MQTT: ISEMS csvlog → InfluxDB (real mosquitto, real influxd, daqd process)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let publisher: mqtt.MqttClient;
  let httpPort: number;
  let errors: ErrorReport[];
  const select = (query: string, database: string) => stack.query(query, database);
  const rows = (database: string, n: number) => stack.rows(database, 'sensors', n);

  before(async () => {
    stack = await startDaqdStack({
      name: 'isems',
      shipped: ['isems.ini'],
      errorTopics: '/isems/+/error.json',
      readyWhen: [/ready: 1 realm/, /connected to broker[^\n]*-isems'/],
    });
    ({ publisher, httpPort, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores every good line of a log once, at its own timestamp, and answers the bad one', async () => {
    await publisher.publishAsync('/isems/Elektra-Dach/csvlog', LOG, { qos: 1 });
    const found = await rows('isems_elektra_dach', 3);
    expect(found.map((r) => r['time'])).to.deep.equal([
      '2018-06-30T13:16:15Z',
      '2018-06-30T13:31:15Z',
      '2018-06-30T13:46:15Z',
    ]);
    expect(found[0]).to.include({
      nodeId: 'Elektra-Dach',
      isemsRevision: 1,
      openMPPTFirmwareVersion: 'ATmega8_A_1',
      timeToShutdown: 711,
      isPowerSaveMode: 0,
      batteryVoltage: 14.073,
      latitude: 52.507309,
      longitude: 13.458635,
      status: 768,
    });
    expect(found.map((r) => r['isPowerSaveMode'])).to.deep.equal([0, 1, 0]);
    expect(found.map((r) => r['status'])).to.deep.equal([768, null, 26]);
    // Numbers are floats, as Kotori writes them; the two text fields stay strings.
    const types = await select('SHOW FIELD KEYS FROM "sensors"', 'isems_elektra_dach');
    const typeOf = Object.fromEntries(types.map((t) => [t['fieldKey'], t['fieldType']]));
    expect(typeOf).to.include({
      isPowerSaveMode: 'float',
      status: 'float',
      batteryVoltage: 'float',
      isemsRevision: 'float',
      nodeId: 'string',
      openMPPTFirmwareVersion: 'string',
    });
    const report = await eventually('an error report', async () => errors[0]);
    expect(report.topic).to.equal('/isems/Elektra-Dach/error.json');
    expect(report.body['message']).to.match(/skipped 1 line\(s\): line 3: 4 fields, expected 18 to 19/);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).to.include('daqd_readings_skipped_total{realm="isems"} 1\n');
  });

  it('stores the same log again as the same points: only a new line adds one', async () => {
    // The log again, grown by one line: once that line is stored, so is the rest of the message.
    const grown = `${LOG}Elektra-Dach;1;1530367275;ATmega8_A_1;680;0;17.9;17.4;13.7;88;100;25;11.67;13.8;7;20;52.507309;13.458635;300\n`;
    await publisher.publishAsync('/isems/Elektra-Dach/csvlog', grown, { qos: 1 });
    await rows('isems_elektra_dach', 4);
    const found = await select('SELECT * FROM "sensors"', 'isems_elektra_dach');
    expect(found.map((r) => r['timeToShutdown'])).to.deep.equal([711, 700, 690, 680]);
  });
});
